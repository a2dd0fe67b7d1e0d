import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Saved goals and profiles of the test run go to a private folder, never to ./workspace.
os.environ.setdefault("KPIWB_WORKSPACE", tempfile.mkdtemp(prefix="kpiwb-test-ws-"))
