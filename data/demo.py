"""Sample datasets for workshops: one click loads a set of files from data/samples/."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from data.session import AddResult, Workspace

SAMPLES_DIR = Path(__file__).with_name("samples")


@dataclass(frozen=True)
class SampleSet:
    key: str
    files: tuple[str, ...]


SAMPLE_SETS: tuple[SampleSet, ...] = (
    SampleSet("tiktok", ("tiktok_overview.csv", "tiktok_follower_history.csv", "tiktok_content.csv",
                         "tiktok_follower_activity.csv")),
    SampleSet("shop", ("shop_orders.csv",)),
    SampleSet("app", ("app_events.csv", "ad_spend.csv")),
    SampleSet("support", ("support_tickets.csv",)),
)
SAMPLE_BY_KEY = {s.key: s for s in SAMPLE_SETS}


def sample_paths(key: str) -> list[Path]:
    return [SAMPLES_DIR / f for f in SAMPLE_BY_KEY[key].files]


def load_sample(ws: Workspace, key: str) -> AddResult:
    """Load every file of a sample set that is not loaded yet."""
    loaded = {d.label for d in ws.datasets}
    out = AddResult([], [])
    for path in sample_paths(key):
        if path.name in loaded or not path.exists():
            continue
        res = ws.add_file(path.name, path)
        out.datasets.extend(res.datasets)
        out.issues.extend(res.issues)
    return out
