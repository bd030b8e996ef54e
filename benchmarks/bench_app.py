"""Dashboard responsiveness: Study page load time and widget round trip, idle vs two jobs training.

Serves ``panel serve app/`` on a fresh ``quick`` store (PINN epochs raised so training
outlasts the measurement), drives it with headless Chromium (offline, loopback only) and
measures, first with no job running and then while two PINN cells train in their own
processes (submitted through :class:`fly64.study.execution.runner.StudyRunner`, as the app does):

* page load: from ``page.goto`` to a fully rendered Study page (grid rows, form and the
  first poll's summary line on screen), a new browser session each time;
* widget round trip: type a bad dose, wait for the model's message under the field;
  type a good one, wait for it to clear (each direction is one timed change).

Run: ``.venv/bin/python benchmarks/bench_app.py [--loads 5] [--changes 10]``.
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fly64.study import Study, select_cells  # noqa: E402
from fly64.study.execution.runner import StudyRunner  # noqa: E402
from fly64.study.records.registry import Registry  # noqa: E402
from tests.app.served import CHROMIUM, CHROMIUM_ARGS, Server, Traffic, stop_jobs  # noqa: E402

TRAINING_EPOCHS = 400  # long enough to keep both jobs training through the loaded measurement


def page_load(context, url) -> float:
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    page.locator(".grid-table .tabulator-row").first.wait_for(timeout=120_000)
    page.locator(".field-doses input").wait_for(timeout=120_000)
    page.locator(".grid-summary p").wait_for(timeout=120_000)
    elapsed = time.perf_counter() - start
    page.close()
    return elapsed


def round_trips(context, url, changes) -> list[float]:
    page = context.new_page()
    page.goto(url)
    field = page.locator(".field-doses input")
    message = page.locator(".error-doses pre")
    field.wait_for(timeout=120_000)
    times = []
    for i in range(changes):
        bad = i % 2 == 0
        field.fill("1000, -5" if bad else "1000, 10000, 100000")
        start = time.perf_counter()
        field.press("Enter")
        message.wait_for(state="visible" if bad else "hidden", timeout=60_000)
        times.append(time.perf_counter() - start)
    page.close()
    return times


def measure(context, url, loads, changes) -> dict:
    return {
        "load": [page_load(context, url) for _ in range(loads)],
        "change": round_trips(context, url, changes),
    }


def start_training(store: Path, study: Study) -> tuple[StudyRunner, list[str]]:
    """Two PINN cells of dose 1e3 (dense view, gridsize 1 and 2), training when this returns."""
    runner = StudyRunner(store, study, workers=2)
    cells = select_cells(study, doses=[1e3], views=["dense"], methods=["pinn"])
    ids = [c.job_id for c in cells]
    runner.submit_cells(cells)
    registry = Registry(runner.store)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        jobs = [registry.get(j) for j in ids]
        if all(j is not None and j.state == "running" and j.progress > 0 for j in jobs):
            return runner, ids
        if any(j is not None and j.terminal for j in jobs):
            raise RuntimeError(
                f"a training job ended early: {[(j.job_id, j.state, j.message) for j in jobs]}"
            )
        time.sleep(1)
    raise RuntimeError("the training jobs did not start within 300 s")


def summary(values) -> str:
    ms = sorted(1000 * v for v in values)
    p90 = ms[min(len(ms) - 1, int(round(0.9 * (len(ms) - 1))))]
    return (
        f"median {statistics.median(ms):7.0f} ms   p90 {p90:7.0f} ms   "
        f"max {ms[-1]:7.0f} ms   (n={len(ms)})"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", type=int, default=5, help="page loads per condition")
    parser.add_argument("--changes", type=int, default=10, help="widget changes per condition")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print("bench_app: needs Debian chromium (apt-get install -y chromium)", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    study = Study.preset("quick", epochs=TRAINING_EPOCHS, patience=TRAINING_EPOCHS)
    with tempfile.TemporaryDirectory(prefix="fly64-bench-app-") as tmp:
        store = Path(tmp) / "store"
        runner = None
        server = Server(store, preset="quick", poll_ms=1000)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                traffic = Traffic()
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                context.route("**/*", traffic.route)
                cold = page_load(context, server.url)
                idle = measure(context, server.url, args.loads, args.changes)
                runner, ids = start_training(store, study)
                busy = measure(context, server.url, args.loads, args.changes)
                still = [Registry(runner.store).get(j).state for j in ids]
                browser.close()
                traffic.check()
        finally:
            if runner is not None:
                runner.cancel_all()
            stop_jobs(store)
            if runner is not None:
                runner.close()
            server.stop()
    print(f"Study page, first load after server start: {1000 * cold:.0f} ms")
    print("condition            measurement")
    for name, data in (("idle", idle), ("2 jobs training", busy)):
        print(f"{name:<20} page load     {summary(data['load'])}")
        print(f"{'':<20} widget change {summary(data['change'])}")
    for key, label in (("load", "page load"), ("change", "widget change")):
        ratio = statistics.median(busy[key]) / statistics.median(idle[key])
        print(f"ratio training/idle, {label}: {ratio:.2f}")
    print(f"training jobs still running at the end of the loaded measurement: {still}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
