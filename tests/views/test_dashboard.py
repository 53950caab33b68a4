"""The dashboard (sim/views/dashboard.py): its model pair and figures, and the page in headless Chromium."""

from __future__ import annotations

import gc
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import weakref
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("solara", reason="the dashboard needs solara (pip install -e '.[dev]')")

from sim.views import dashboard as app  # noqa: E402

PROJECT = Path(__file__).resolve().parents[2]
TINY = ("landscape.n_schools=80", "spinup_years=2", "years=3")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def tiny_model(**choices) -> app.DashboardModel:
    return app.DashboardModel(overrides=TINY, **choices)


def test_counterfactual_identical_until_the_policy_starts_then_differs():
    model = tiny_model(scenario="pathfinder")
    start = model.scenario.config.funding.start_year
    assert start == 2
    while model.running:
        model.step()
    ts = model.difference()
    before = ts.time_years < start
    assert np.all(ts.outcome_difference[before] == 0)
    assert np.all(ts.gap_difference[before] == 0)
    after = ts.time_years > start + 0.5
    assert np.any(ts.outcome_difference[after] != 0)
    # (RISE's pairs are funded partnerships in both: today's policy.)
    assert ts.n_funded.max() > ts.counterfactual_n_funded.max()
    assert model.scenario.tick == model.scenario.n_steps == 36  # stops at the horizon


def test_a_lever_the_scenario_leaves_alone_starts_in_year_two():
    overrides = app.scenario_overrides(
        "baseline", {"funding": "£900k a year per 1,000 schools", "distance": app.AS_SCENARIO,
                     "accountability": app.AS_SCENARIO, "executive_headship": app.AS_SCENARIO},
        TINY)
    assert "funding.budget_gbp_per_year_per_1000_schools=900000" in overrides
    assert f"funding.start_year={app.POLICY_START_YEAR}" in overrides
    # The pathfinder sets its own timing (years 2-5): a changed budget keeps it.
    overrides = app.scenario_overrides(
        "pathfinder", {"funding": "£1.8m a year per 1,000 schools", "distance": "no limit",
                       "accountability": app.AS_SCENARIO, "executive_headship": app.AS_SCENARIO},
        TINY)
    assert not any(o.startswith("funding.start_year") for o in overrides)
    assert "distance.max_partner_km=null" in overrides


def test_every_selector_choice_is_a_valid_config():
    columns = max(len(choices) for choices in app.LEVER_CHOICES.values())
    for i in range(1, columns):  # the i-th choice of every lever at once (0 is AS_SCENARIO)
        choices = {lever: list(options)[min(i, len(options) - 1)]
                   for lever, options in app.LEVER_CHOICES.items()}
        overrides = app.scenario_overrides("baseline", choices, TINY)
        config = app.validate(app.compose(overrides)).config  # raises on a mistake
        assert all(getattr(config, lever).start_year == app.POLICY_START_YEAR
                   for lever in app.LEVERS)


def test_runs_are_freed_when_reset_replaces_them():
    model = tiny_model(scenario="pathfinder")
    model.step()
    runs = [weakref.ref(run) for run in (model, model.counterfactual, model.scenario)]
    del model
    gc.collect()
    assert all(run() is None for run in runs)


def test_the_background_seeds_give_the_mean_difference_and_its_band():
    model = tiny_model(scenario="pathfinder")
    ensemble = app.DifferenceEnsemble(model.scenario.settings, seeds=[0, 1, 2])
    finished = []
    ensemble.run(on_result=finished.append)
    assert finished == [1, 2, 3] and ensemble.done == 3
    band = ensemble.band()
    assert (band.n == 3).all() and len(band) == 3 * 12 + 1
    before = band.time_years < 2
    assert (band.loc[before, ["outcome_mean", "outcome_low", "outcome_high"]] == 0).all().all()
    # The mean is the mean of the seeds' own paired differences (seed 0 is the model's pair).
    while model.running:
        model.step()
    own = model.difference().outcome_difference.to_numpy()
    assert np.allclose(band.outcome_mean, np.mean(ensemble._outcome, axis=0))
    assert np.allclose(ensemble._outcome[0], own)
    after = band.time_years > 2.5
    assert (band.outcome_low[after] <= band.outcome_mean[after]).all()
    assert (band.outcome_high[after] > band.outcome_low[after]).any()


def test_the_background_seeds_stop_when_cancelled():
    import threading

    model = tiny_model(scenario="pathfinder")
    cancel = threading.Event()
    model.ensemble.run(cancel, on_result=lambda done: cancel.set())
    assert model.ensemble.done == 1 and len(model.ensemble.seeds) == app.ENSEMBLE_SEEDS >= 10


def test_clicks_on_step_made_while_busy_are_queued_not_dropped():
    import threading

    model = tiny_model(scenario="pathfinder")
    stepper = app.Stepper(model)
    for _ in range(3):  # three quick clicks before the worker gets to any of them
        stepper.click_step()
    assert stepper.queued == 3
    cancel = threading.Event()
    worker = threading.Thread(target=stepper.loop, args=(cancel,))
    worker.start()
    deadline = time.monotonic() + 60
    while stepper.queued and time.monotonic() < deadline:
        time.sleep(0.05)
    cancel.set()
    worker.join(timeout=10)
    assert model.steps == 3 * app.RENDER_INTERVAL and model.scenario.tick == 9


def test_the_policy_is_described_in_words_without_config_keys():
    for scenario in app.SCENARIOS:
        text = app.policy_description(tiny_model(scenario=scenario).scenario)
        assert not re.search(r"[a-z]+_[a-z_]+", text), (scenario, text)
        assert "= " not in text, text
    text = app.policy_description(tiny_model(scenario="pathfinder").scenario)
    assert "£900k a year per 1,000 schools" in text and "years 2–5" in text


def test_the_seed_slider_starts_at_a_seed_given_in_the_overrides():
    assert app.initial_seed(("landscape.n_schools=80", "seed=7")) == 7
    assert app.initial_seed(("landscape.n_schools=80",)) == 0


def test_a_configuration_mistake_is_shown_not_raised():
    model = tiny_model(scenario="no_such_scenario")
    assert model.error and "no_such_scenario" in model.error
    assert model.running is False
    model.step()  # harmless


def test_map_draws_every_school_and_one_link_per_pair_of_partners():
    model = tiny_model(scenario="pathfinder")
    for _ in range(30):
        model.step()
    fig = app.map_figure(model)
    for ax, run in zip(fig.axes[:2], (model.counterfactual, model.scenario), strict=True):
        dots = [c for c in ax.collections if c.get_offsets().shape[0] == run.schools.n]
        assert len(dots) == 1
        n_segments = sum(len(c.get_segments()) for c in ax.collections if c not in dots)
        sizes = run.partnerships.n_members[run.partnerships.active]
        assert n_segments == int((sizes * (sizes - 1) // 2).sum()) > 0
    for make in (app.difference_figure, app.outcome_figure, app.gap_figure,
                 app.partnerships_figure):
        ax = make(model).axes[0]
        assert ax.get_title() and ax.get_xlabel() == "time (years)" and ax.get_ylabel()
        assert all(len(line.get_xdata()) == 31 for line in ax.lines if len(line.get_xdata()) > 2)
    assert "Year 2.5 of 3" in app.summary_html(model)


# -- the page in a browser ------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_server(url: str, server: subprocess.Popen, limit_s: float = 90) -> str:
    """The page's HTML once the server answers (fails if the server exits first)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the dashboard server exited with code {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode()
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
    pytest.fail(f"the dashboard server did not answer at {url} within {limit_s:.0f} s")


def skip_unless_assets_served(base: str, page_html: str) -> None:
    """Solara's JavaScript comes from the solara-assets package or a CDN; skip if neither."""
    for path in sorted(set(re.findall(r'"(/_solara/cdn/[^"]+)"', page_html))):
        try:
            urllib.request.urlopen(base + path, timeout=30).close()
        except urllib.error.URLError as error:
            pytest.skip(f"solara cannot serve its browser assets ({path}: {error}); "
                        "install solara-assets or allow access to cdn.jsdelivr.net")


@pytest.fixture
def playwright_api():
    """Playwright's sync API, to drive Debian's chromium (skips when either is missing)."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return pytest.importorskip("playwright.sync_api",
                               reason="playwright is not installed (pip install -e '.[dev]')")


@pytest.fixture
def dashboard_url(tmp_path):
    """Start `solara run sim/views/dashboard.py` on a free port with a tiny landscape; yield its URL."""
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    env = {**os.environ, "SIM_DASHBOARD_OVERRIDES": " ".join(TINY)}
    server = subprocess.Popen(
        [sys.executable, "-m", "solara", "run", "sim/views/dashboard.py", "--production", "--no-open",
         "--host", "127.0.0.1", "--port", str(port)],
        cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        skip_unless_assets_served(url, wait_for_server(url + "/", server))
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        server_log = (tmp_path / "server.log").read_text()
        assert "Traceback" not in server_log, server_log


@pytest.mark.browser
def test_dashboard_page_renders_and_steps_in_chromium(playwright_api, dashboard_url, tmp_path):
    """The page in Chromium: maps and charts drawn; three quick clicks on Step all run; the
    difference chart fills in with the background seeds; levers in words; no Mesa-internal boxes.
    Screenshots go to ``SIM_DASHBOARD_SCREENSHOTS`` (a folder) if set, else the test's own."""
    shots = Path(os.environ.get("SIM_DASHBOARD_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
            page.on("console", lambda msg: errors.append(f"console: {msg.text}")
                    if msg.type == "error" else None)
            page.goto(dashboard_url + "/")
            step = page.get_by_role("button", name=re.compile("^Step"))
            step.wait_for(timeout=90_000)
            images = page.locator("img")
            images.nth(4).wait_for(timeout=60_000)
            first_map = images.nth(0).get_attribute("src")
            assert page.get_by_text("Year 0.0 of 3").is_visible()
            assert not page.get_by_text("Use Threads").count()
            assert page.get_by_text("Seed (random draws): 0").is_visible()
            for _ in range(3):  # quick clicks: none may be lost while the model is busy
                step.click()
            page.get_by_text(f"Step: {3 * app.RENDER_INTERVAL}", exact=False).wait_for(
                timeout=60_000)
            page.get_by_text("Year 0.8 of 3").wait_for(timeout=60_000)
            page.get_by_text(f"Over {app.ENSEMBLE_SEEDS} of {app.ENSEMBLE_SEEDS} seeds").wait_for(
                timeout=120_000)
            page.wait_for_timeout(1000)
            page.screenshot(path=str(shots / "dashboard.png"), full_page=True)

            # Five figures (maps, difference, outcomes, gap, partnerships), all drawn, map redrawn.
            assert images.count() == 5
            sizes = images.evaluate_all("els => els.map(e => [e.naturalWidth, e.naturalHeight])")
            assert all(w > 300 and h > 200 for w, h in sizes), sizes
            assert images.nth(0).get_attribute("src") != first_map
            summary = page.locator("p.dashboard-summary")
            assert "£900k a year per 1,000 schools" in summary.inner_text()
            assert not re.search(r"[a-z]+_[a-z_]+", summary.inner_text())
            assert not page.get_by_text("Configuration error").count()
            assert not page.get_by_text("Traceback").count()

            # Selectors, then Reset: a new pair of runs for the chosen scenario and lever.
            page.get_by_label("Scenario").click(force=True)
            page.get_by_role("option", name="high_stakes").click()
            page.get_by_label("Accountability stakes").click(force=True)
            page.get_by_role("option", name="low stakes (0.2)").click()
            page.get_by_role("button", name="Reset").click()
            summary = page.locator("p").filter(has_text="scenario high_stakes against")
            summary.wait_for(timeout=90_000)
            assert "Year 0.0 of 3" in summary.inner_text()
            assert "stakes of a low grade 0.2" in summary.inner_text()
            page.get_by_text(f"Over {app.ENSEMBLE_SEEDS} of {app.ENSEMBLE_SEEDS} seeds").wait_for(
                timeout=120_000)
            page.wait_for_timeout(1000)
            page.screenshot(path=str(shots / "dashboard_after_reset.png"), full_page=True)
        finally:
            browser.close()
    assert not errors, errors
