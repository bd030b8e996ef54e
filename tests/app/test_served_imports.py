"""The served app and the tests load the pages under one name, ``app.pages`` (no browser).

``panel serve app/`` runs ``app/main.py`` with ``app/`` on ``sys.path``; were the pages imported
from there as ``pages.*``, the server would hold a second copy of every module (two executor
registries, two caches) beside the ``app.pages`` the tests check.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: builds one session's document the way ``panel serve app/`` does, from outside the repository
SESSION = """
import json, sys
from panel.io.application import build_single_handler_application

application = build_single_handler_application(sys.argv[1], ["--store", sys.argv[2]])
application.create_document()
handler = application.handlers[0]
print(json.dumps({
    "error": handler.error if handler.failed else None,
    "modules": sorted(m for m in sys.modules if m.split(".")[0] in ("pages", "app")),
}))
"""


def test_the_served_app_imports_its_pages_as_app_pages_only(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", SESSION, str(ROOT / "app"), str(tmp_path / "store")],
        cwd=tmp_path,  # not the repository: main.py itself makes app.pages importable
        env={"PYTHONPATH": "", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    served = json.loads(done.stdout.strip().splitlines()[-1])
    assert served["error"] is None, served["error"]
    assert "app.pages.dashboard" in served["modules"]
    assert not [m for m in served["modules"] if m.split(".")[0] == "pages"], served["modules"]
