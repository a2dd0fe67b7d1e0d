import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Saved goals and profiles of the test run go to a private folder, never to ./workspace.
os.environ.setdefault("KPIWB_WORKSPACE", tempfile.mkdtemp(prefix="kpiwb-test-ws-"))

# Property tests explore new examples locally; in CI (CI=true) they are derandomized so a run is
# reproducible and a rare example cannot make one submission fail and the next pass.
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
