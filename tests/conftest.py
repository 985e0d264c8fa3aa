"""Point the tests at the shared offline AG News copy when this checkout has one beside it."""
import os
from pathlib import Path

_SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "ag_news"
if _SHARED_DATA.is_dir():
    os.environ.setdefault("RNNLAB_DATA_DIR", str(_SHARED_DATA))
