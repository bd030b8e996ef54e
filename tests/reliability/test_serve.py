"""``make serve`` listens on the loopback interface only (README "Serving to others")."""

import shlex
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_serve_binds_loopback():
    dry = subprocess.run(
        ["make", "-n", "serve", "PORT=5999"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    commands = dry.stdout.replace("\\\n", " ").splitlines()  # join continued lines
    line = next(line for line in commands if "panel serve app/" in line)
    argv = shlex.split(line)
    assert argv[argv.index("--address") + 1] == "127.0.0.1"
    origins = {argv[i + 1] for i, arg in enumerate(argv) if arg == "--allow-websocket-origin"}
    assert origins == {"127.0.0.1:5999", "localhost:5999"}
