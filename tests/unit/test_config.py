"""framework.config: one loader, file < environment < flags, errors that name the setting."""

from pathlib import Path

import pytest

from framework import ConfigError
from framework.config import Setting, load, port


def test_defaults_follow_finatra() -> None:
    s = load(env={})
    assert (s.thrift_port, s.http_port, s.admin_port) == (9999, 8888, 9990)
    assert s.zk == "embedded" and s.zk_root == "/aviary" and s.max_frame_bytes == 16 << 20


def test_later_sources_win(tmp_path: Path) -> None:
    f = tmp_path / "aviary.toml"
    f.write_text('thrift_port = 1000\nhttp_port = 2000\nenv = "staging"\nmax_frame_bytes = "1MiB"\n[services.echo]\nhttp_port = 3000\n')
    s = load(f, env={"AVIARY_HTTP_PORT": "2001", "AVIARY_ENV": "prod"}, flags={"env": "canary", "services.echo.http_port": "3001"})
    assert s.thrift_port == 1000  # file
    assert s.http_port == 2001  # environment over file
    assert s.env == "canary"  # flag over environment
    assert s.max_frame_bytes == 1 << 20
    assert s.service("echo")["http_port"] == 3001
    assert s.service("other")["http_port"] is None


def test_a_commands_defaults_sit_under_every_other_source(tmp_path: Path) -> None:
    f = tmp_path / "aviary.toml"
    f.write_text('bind = "10.0.0.1"\n[services.mock]\nseed = 7\n')
    defaults = {"bind": "127.0.0.1", "env": "dev", "log_level": "warning", "services.mock.seed": 1, "services.mock.idl": "echo.thrift"}
    s = load(f, env={"AVIARY_ENV": "qa"}, flags={"log_level": "error"}, defaults=defaults)
    assert s.bind == "10.0.0.1" and s.env == "qa" and s.log_level == "error"  # file, environment, flag win
    assert s.services["mock"] == {"seed": 7, "idl": "echo.thrift"}  # the file wins one key, the default keeps the other
    assert load(env={}, defaults={"http_port": 8080}).http_port == 8080
    with pytest.raises(ConfigError, match="http_port.*the command's defaults"):
        load(env={}, defaults={"http_port": "eighty"})


def test_environment_reaches_service_settings() -> None:
    s = load(env={"AVIARY_ECHO__THRIFT_PORT": "4000"})
    assert s.service("echo")["thrift_port"] == 4000


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"flags": {"thrift_port": "abc"}}, r"^thrift_port: expected a whole number, got 'abc' \(from --thrift-port\)"),
        ({"env": {"AVIARY_HTTP_PORT": "70000"}}, r"^http_port: expected a port number .* \(from environment variable AVIARY_HTTP_PORT\)"),
        ({"flags": {"nope": "1"}}, r"^nope: unknown setting \(from --nope\)"),
        ({"flags": {"zk_root": "aviary/"}}, r"^zk_root: expected a ZooKeeper path"),
        ({"flags": {"log_level": "loud"}}, r"^log_level: expected one of debug, info, warning, error"),
        ({"flags": {"max_frame_bytes": "lots"}}, r"^max_frame_bytes: expected a size such as 16MiB"),
    ],
)
def test_bad_values_name_the_setting_and_the_source(kwargs: dict, match: str) -> None:
    kwargs.setdefault("env", {})
    with pytest.raises(ConfigError, match=match):
        load(**kwargs)


def test_bad_files(tmp_path: Path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text("thrift_port = [")
    with pytest.raises(ConfigError, match="bad.toml is not valid TOML"):
        load(f, env={})
    f.write_text("[services.echo]\nthrift_prot = 1\n")
    s = load(f, env={})
    with pytest.raises(ConfigError, match=r"^services\.echo\.thrift_prot: unknown setting for service 'echo' \(from .*bad.toml; known: access_log, allow, announce_path, http_port, max_pending_calls, share_thrift_port, thrift_port\)"):
        s.service("echo")
    with pytest.raises(ConfigError, match="cannot read"):
        load(tmp_path / "missing.toml", env={})


def test_plugins_declare_their_own_settings() -> None:
    declared = (Setting("data_dir", "./data", str, "where"), Setting("fsync_port", 1, port, "a port"))
    s = load(env={"AVIARY_EVENTLOG__FSYNC_PORT": "x"}, flags={"services.eventlog.data_dir": "/tmp/ev"})
    with pytest.raises(ConfigError, match=r"^services\.eventlog\.fsync_port: expected a whole number"):
        s.service("eventlog", declared)
    s = load(env={}, flags={"services.eventlog.data_dir": "/tmp/ev"})
    assert s.service("eventlog", declared) == {"thrift_port": None, "http_port": None, "share_thrift_port": None, "announce_path": None, "access_log": False, "allow": None, "max_pending_calls": None, "data_dir": "/tmp/ev", "fsync_port": 1}


def test_one_framework_service_setting_is_read_beside_a_plugins_own_keys() -> None:
    s = load(env={}, flags={"services.eventlog.data_dir": "/tmp/ev", "services.eventlog.announce_path": "/aurora/prod/events"})
    assert s.service_setting("eventlog", "announce_path") == "/aurora/prod/events"
    assert s.service_setting("eventlog", "allow") is None
    bad = load(env={}, flags={"services.eventlog.announce_path": "relative"})
    with pytest.raises(ConfigError, match=r"^services\.eventlog\.announce_path: "):
        bad.service_setting("eventlog", "announce_path")


def test_one_worker_by_default_and_auto_is_one_per_core() -> None:
    from framework.workers import count

    assert load(env={}).workers == 1 and count(load(env={})) == 1
    cores = len(__import__("os").sched_getaffinity(0))
    for text in ("auto", "AUTO", "0"):
        s = load(env={}, flags={"workers": text})
        assert s.workers == 0 and count(s) == cores
    assert count(load(env={"AVIARY_WORKERS": "3"})) == 3
    with pytest.raises(ConfigError, match=r"^workers: expected a number of processes of at least 1, or auto \(one per core\), got 'many' \(from --workers\)"):
        load(env={}, flags={"workers": "many"})


def test_an_environment_variable_naming_no_setting_is_ignored_with_one_warning(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    env = {
        "AVIARY_NOPE": "1",
        "AVIARY_ECHO_SERVICE_HOST": "10.96.0.10",  # Kubernetes' service links of a Service "aviary-echo"
        "AVIARY_HTTP_PORT": "tcp://10.96.0.11:8888",  # ... and of one named "aviary-http": a setting's name
        "AVIARY_ECHO__NOPE": "2",
        "AVIARY_ECHO__HTTP_PORT": "8080",
    }
    with caplog.at_level("WARNING", logger="aviary.config"):
        s = load(env=env)
        assert s.http_port == 8888  # the service link set nothing
        assert s.service("echo")["http_port"] == 8080 and "nope" not in s.service("echo")
        s.service("echo")  # asked again: not warned again
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 4, lines
    for variable in ("AVIARY_NOPE", "AVIARY_ECHO_SERVICE_HOST", "AVIARY_HTTP_PORT", "AVIARY_ECHO__NOPE"):
        assert sum(f"ignoring environment variable {variable}:" in ln for ln in lines) == 1, lines
    # A file and --set stay strict: a typo there stops start-up.
    f = tmp_path / "aviary.toml"
    f.write_text("nope = 1\n")
    with pytest.raises(ConfigError, match=r"^nope: unknown setting \(from .*aviary.toml\)"):
        load(f, env={})
    with pytest.raises(ConfigError, match=r"^services\.echo\.nope: unknown setting for service 'echo' \(from --set echo.nope; known: "):
        load(env={}, flags={"services.echo.nope": "1"}).service("echo")
    # A bad value of a real setting is still fatal, from the environment too.
    with pytest.raises(ConfigError, match=r"^http_port: expected a whole number, got 'eighty' \(from environment variable AVIARY_HTTP_PORT\)"):
        load(env={"AVIARY_HTTP_PORT": "eighty"})
