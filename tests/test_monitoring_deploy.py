"""deploy/monitoring of every serving combination, checked by Prometheus's own promtool.

- the alert rules load (`promtool check rules`) and their unit tests pass (`promtool test rules`);
- the scrape configuration loads (`promtool check config`);
- every Grafana query parses (each one a recording rule under `promtool check rules`) and
  returns data from the metrics the project defines, evaluated by Prometheus's engine: the
  metric names, types and labels are read from the project's source (the prometheus_client
  constructors of serving/ and the gauges of jobs/monitor.py), a series is made for each,
  and a promtool unit test asserts that `absent(<query>)` never fires. A misspelt metric,
  a histogram queried without `_bucket` or a label the service never sets empties a query.

promtool comes from Debian's `prometheus` package, unpacked by .ci/run into the clone's
.cache/prometheus (or found on PATH); under CI a missing promtool fails instead of skipping.
Verdicts are cached by the content of what promtool reads, so identical files across
combinations are checked once.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests import terraform
from tests.combos import TEMPLATE_ROOT, Combo
from tests.helpers import Renders, cache_root

MONITORING = Path("deploy", "monitoring")
# Grafana's variables, as a dashboard's queries reach Prometheus.
RATE_INTERVAL = "5m"
# Label values for the made-up series: a failure of either protocol, so that the error
# queries have a numerator, and a route that is neither a probe nor a scrape.
LABEL_VALUES = {
    "status": ("200", "500", "OK", "INTERNAL"),
    "route": ("/predict", "Predict"),
    "outcome": ("loaded", "failed", "sampled", "written", "dropped"),
}


def promtool() -> str:
    """promtool from PATH or .ci/run's cache; a skip on a laptop, a failure in CI."""
    homes = [os.environ.get("PROMETHEUS_HOME", ""), str(TEMPLATE_ROOT / ".cache" / "prometheus")]
    cached = [Path(home, "usr", "bin", "promtool") for home in homes if home]
    found = shutil.which("promtool") or next((str(p) for p in cached if p.is_file()), None)
    if found:
        return found
    message = "promtool not found: .ci/run unpacks Debian's `prometheus` package (apt-get download)"
    if os.environ.get("CI") or os.environ.get("PROMETHEUS_HOME"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture
def monitoring(combo: Combo, renders: Renders) -> Path:
    if combo.data_dict.get("serving") == "batch":
        pytest.skip("batch scoring serves no /metrics: no deploy/monitoring")
    folder = renders.get(combo) / MONITORING
    assert folder.is_dir(), f"a server's project has no {MONITORING}"
    return folder


def _run(argv: list[str], cwd: Path) -> str:
    """promtool's complaint, "" when it exits 0."""
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, timeout=120)
    return "" if done.returncode == 0 else f"$ {' '.join(argv)}\n{done.stdout}{done.stderr}"


def _checked(name: str, folder: Path, files: list[Path], check: Any) -> str:
    """`check(folder)`'s problems, once per content of `files` across workers and runs."""
    cache = cache_root() / "checks" / "promtool"
    cache.mkdir(parents=True, exist_ok=True)
    argv0 = promtool()
    version = subprocess.run([argv0, "--version"], capture_output=True, text=True).stdout
    key = terraform.digest(folder, files, version, name)
    return terraform.cached(cache, name, key, lambda: check(argv0))


def test_alert_rules_load_and_pass_their_unit_tests(monitoring: Path) -> None:
    files = [monitoring / "alerts.yml", monitoring / "alerts.test.yml"]

    def check(argv0: str) -> str:
        loaded = _run([argv0, "check", "rules", "alerts.yml"], monitoring)
        return loaded or _run([argv0, "test", "rules", "alerts.test.yml"], monitoring)

    problems = _checked("rules", monitoring, files, check)
    assert not problems, problems


def test_every_alert_has_a_firing_and_a_quiet_test(monitoring: Path) -> None:
    """Each alert is expected to fire somewhere in the unit tests and to stay quiet somewhere."""
    rules = yaml.safe_load((monitoring / "alerts.yml").read_text())
    alerts = {r["alert"] for group in rules["groups"] for r in group["rules"] if "alert" in r}
    tests = yaml.safe_load((monitoring / "alerts.test.yml").read_text())["tests"]
    cases = [case for test in tests for case in test.get("alert_rule_test", [])]
    fires = {c["alertname"] for c in cases if c.get("exp_alerts")}
    quiet = {c["alertname"] for c in cases if not c.get("exp_alerts")}
    assert alerts - fires == set(), "never seen firing"
    assert alerts - quiet == set(), "never seen quiet"


def test_alert_runbooks_exist(monitoring: Path) -> None:
    """Each alert's runbook_url names a section of deploy/monitoring/README.md."""
    readme = (monitoring / "README.md").read_text()
    headings = [line for line in readme.splitlines() if line.startswith("### ")]
    anchors = {line.lstrip("# ").strip().lower() for line in headings}
    rules = yaml.safe_load((monitoring / "alerts.yml").read_text())
    for rule in (r for group in rules["groups"] for r in group["rules"]):
        path, _, anchor = rule["annotations"]["runbook_url"].partition("#")
        assert path == (MONITORING / "README.md").as_posix()
        assert anchor in anchors, f"{rule['alert']}: no section `### {anchor}`"


def test_scrape_config_loads(monitoring: Path, tmp_path: Path) -> None:
    """`promtool check config`, rule files included. Debian builds Prometheus without
    Kubernetes service discovery: where promtool refuses `kubernetes_sd_configs` for that
    reason alone, the job is checked again with static targets (its relabelling, labels
    and the rest of the file are still Prometheus's to judge)."""
    files = [monitoring / "prometheus.yml", monitoring / "alerts.yml"]

    def check(argv0: str) -> str:
        problems = _run([argv0, "check", "config", "prometheus.yml"], monitoring)
        if "field kubernetes_sd_configs not found" not in problems:
            return problems
        config = yaml.safe_load((monitoring / "prometheus.yml").read_text())
        for job in config["scrape_configs"]:
            if job.pop("kubernetes_sd_configs", None) is not None:
                job["static_configs"] = [{"targets": ["10.0.0.1:8000"]}]
        shutil.copy2(monitoring / "alerts.yml", tmp_path / "alerts.yml")
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config, sort_keys=False))
        return _run([argv0, "check", "config", "prometheus.yml"], tmp_path)

    problems = _checked("config", monitoring, files, check)
    assert not problems, problems


def test_scrape_config_reads_the_served_metrics_port(monitoring: Path) -> None:
    """The local job scrapes the port the deployment's annotations name (option metrics_port)."""
    config = yaml.safe_load((monitoring / "prometheus.yml").read_text())
    local = next(job for job in config["scrape_configs"] if "static_configs" in job)
    target = local["static_configs"][0]["targets"][0]
    deployment = monitoring.parent / "k8s" / "base" / "deployment.yaml"
    if deployment.is_file():
        pod = yaml.safe_load(deployment.read_text())["spec"]["template"]
        assert target.endswith(":" + pod["metadata"]["annotations"]["prometheus.io/port"])
    assert all(job["job_name"] for job in config["scrape_configs"])


# ── the dashboard ─────────────────────────────────────────────────────────────────────────


def _queries(dashboard: dict[str, Any], project_name: str) -> dict[str, str]:
    """Every panel target's PromQL, named Panel<id><refId>, Grafana variables filled in."""
    variables = {v["name"] for v in dashboard["templating"]["list"]}
    assert variables == {"datasource", "service"}, variables
    queries = {}
    for panel in dashboard["panels"]:
        source = panel.get("datasource", {}).get("uid", "${datasource}")
        assert source == "${datasource}", f"{panel['title']}: not the dashboard's data source"
        for target in panel.get("targets", []):
            expr = target["expr"].replace("$__rate_interval", RATE_INTERVAL)
            queries[f"Panel{panel['id']}{target['refId']}"] = expr.replace("$service", project_name)
    assert queries, "the dashboard has no query"
    return queries


def _defined_metrics(project: Path) -> dict[str, tuple[str, list[str]]]:
    """Metric name -> (type, label names), from the project's prometheus_client calls."""
    package = next(p for p in (project / "src").iterdir() if (p / "__init__.py").is_file())
    sources = [*sorted((package / "serving").glob("*.py")), package / "jobs" / "monitor.py"]
    found: dict[str, tuple[str, list[str]]] = {}
    for source in sources:
        for node in ast.walk(ast.parse(source.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            kinds = {"Counter": "counter", "Gauge": "gauge", "Histogram": "histogram"}
            if source.stem == "monitor":  # its `gauge(name, ...)` helper
                kinds["gauge"] = "gauge"
            kind = kinds.get(node.func.id, "")
            if not kind or not node.args or not isinstance(node.args[0], ast.Constant):
                continue
            labels = [
                n.value
                for arg in [
                    *node.args[2:3],
                    *(k.value for k in node.keywords if k.arg == "labelnames"),
                ]
                for n in ast.walk(arg)
                if isinstance(n, ast.Constant) and isinstance(n.value, str)
            ]
            if source.stem == "monitor":  # its gauges all carry the champion's version
                labels = sorted({*labels, "champion_version"})
            found[str(node.args[0].value)] = (kind, labels)
    assert "requests_total" in found and "monitor_window_breached" in found, sorted(found)
    return found


def _series(project_name: str, metrics: dict[str, tuple[str, list[str]]]) -> list[dict[str, str]]:
    """promtool input series: every label combination, counters rising, gauges at 1."""
    series = []
    for name, (kind, labels) in sorted(metrics.items()):
        combos: list[dict[str, str]] = [{"service": project_name, "pod": "server-a"}]
        for label in labels:
            values = LABEL_VALUES.get(label, ("x",))
            combos = [{**c, label: v} for c in combos for v in values]
        for labelset in combos:
            if kind == "histogram":
                samples = [(f"{name}_bucket", {**labelset, "le": le}, f"0+{n}x30")
                           for le, n in (("0.1", 5), ("1.0", 9), ("+Inf", 10))]  # fmt: skip
                samples += [
                    (f"{name}_sum", labelset, "0+3x30"),
                    (f"{name}_count", labelset, "0+10x30"),
                ]
            elif kind == "counter":
                total = name if name.endswith("_total") else f"{name}_total"
                samples = [(total, labelset, "0+10x30")]
            else:
                samples = [(name, labelset, "1x30")]
            for metric, labelset_, values in samples:
                matchers = ",".join(f'{k}="{v}"' for k, v in labelset_.items())
                series.append({"series": f"{metric}{{{matchers}}}", "values": values})
    return series


def test_dashboard_queries_parse_and_return_the_services_metrics(
    monitoring: Path, tmp_path: Path
) -> None:
    dashboard = json.loads((monitoring / "dashboard.json").read_text())
    project = monitoring.parent.parent
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    queries = _queries(dashboard, answers["project_name"])
    titles = {f"Panel{p['id']}": p["title"] for p in dashboard["panels"]}

    def title(rule: str) -> str:
        return titles.get(re.sub(r"[A-Z]$", "", rule), rule)

    # Parsed by Prometheus: each query as a recording rule.
    rules = [{"record": f"dashboard:{name}", "expr": expr} for name, expr in queries.items()]
    recorded = {"groups": [{"name": "dashboard", "rules": rules}]}
    (tmp_path / "parsed.yml").write_text(yaml.safe_dump(recorded))
    problems = _run([promtool(), "check", "rules", "parsed.yml"], tmp_path)
    assert not problems, problems

    # Evaluated by Prometheus on the project's own metrics only: no query may come back empty.
    alerts = [{"alert": name, "expr": f"absent({expr})"} for name, expr in queries.items()]
    watched = {"groups": [{"name": "dashboard", "rules": alerts}]}
    (tmp_path / "empty.yml").write_text(yaml.safe_dump(watched))
    unit = {
        "rule_files": ["empty.yml"],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": _series(answers["project_name"], _defined_metrics(project)),
                "alert_rule_test": [
                    {"eval_time": "20m", "alertname": name, "exp_alerts": []} for name in queries
                ],
            }
        ],
    }
    (tmp_path / "empty.test.yml").write_text(yaml.safe_dump(unit))
    problems = _run([promtool(), "test", "rules", "empty.test.yml"], tmp_path)
    empty = sorted({title(n) for n in re.findall(r"alertname: (Panel\w+)", problems)})
    assert not problems, f"queries with no data from the project's metrics: {empty}\n{problems}"
