"""framework.access.AdminAllow: who besides loopback may change the process via the admin port."""

import pytest

from framework import ConfigError
from framework.access import AdminAllow, is_loopback, parse_admin_allow
from framework.config import load


def test_loopback_always_and_nobody_else_by_default() -> None:
    allow = AdminAllow(load(env={}).admin_allow)
    for host in ("127.0.0.1", "127.8.9.1", "::1", "::ffff:127.0.0.1"):
        assert is_loopback(host) and allow.permits("/quitquitquit", host, None), host
    for host in ("10.0.0.2", "192.168.1.9", "::ffff:10.0.0.2", "fe80::1", None, "", "not-an-ip"):
        assert not allow.permits("/quitquitquit", host, None), host
    assert not allow.permits("/quitquitquit", "10.0.0.2", "spiffe://prod/ops")


def test_networks_and_identities_from_every_form() -> None:
    as_list = parse_admin_allow(["10.0.0.0/8", "spiffe://prod/ops", "2001:db8::/32"])
    as_text = parse_admin_allow("10.0.0.0/8, spiffe://prod/ops,2001:db8::/32")
    assert as_list == as_text == {"*": ["10.0.0.0/8", "2001:db8::/32", "spiffe://prod/ops"]}
    allow = AdminAllow(as_list)
    assert allow.permits("/abortabortabort", "10.1.2.3", None) and allow.permits("/quitquitquit", "::ffff:10.1.2.3", None)
    assert allow.permits("/quitquitquit", "2001:db8::5", None)
    assert allow.permits("/quitquitquit", "192.168.0.1", "spiffe://prod/ops")
    assert not allow.permits("/quitquitquit", "192.168.0.1", "spiffe://prod/web")
    # By path, as allow's table is by method: "*" covers the paths not named.
    by_path = AdminAllow(parse_admin_allow("/quitquitquit=10.0.0.0/8;*=192.168.0.7"))
    assert by_path.permits("/quitquitquit", "10.0.0.1", None) and not by_path.permits("/abortabortabort", "10.0.0.1", None)
    assert by_path.permits("/abortabortabort", "192.168.0.7", None) and not by_path.permits("/quitquitquit", "192.168.0.7", None)
    assert load(env={"AVIARY_ADMIN_ALLOW": "10.0.0.0/8"}).admin_allow == {"*": ["10.0.0.0/8"]}


def test_bad_admin_allow_names_the_setting(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"^admin_allow: expected an admin path such as /quitquitquit"):
        load(env={}, flags={"admin_allow": "quitquitquit=10.0.0.0/8"})
    f = tmp_path / "a.toml"
    f.write_text("admin_allow = 7\n")
    with pytest.raises(ConfigError, match=r"^admin_allow: expected a table"):
        load(f, env={})


def test_the_admin_port_checks_paths_and_that_identities_have_tls() -> None:
    from framework.admin import AdminApp, admin_allow
    from framework.assembly import assemble
    from services.echo import create

    def check(**flags):
        settings = load(env={}, flags={"zk": "none", "workers": 1, **flags})
        return admin_allow(settings, AdminApp(assemble(settings, [create()])))

    assert check(admin_allow="/quitquitquit=10.0.0.0/8").permits("/quitquitquit", "10.9.9.9", None)
    with pytest.raises(ConfigError, match=r"^admin_allow: /metrics: not an admin endpoint that changes the process \(those are: /abortabortabort, /quitquitquit\)"):
        check(admin_allow="/metrics=10.0.0.0/8")
    with pytest.raises(ConfigError, match=r"^admin_allow: identities are checked against client certificates: set tls_cert"):
        check(admin_allow="spiffe://prod/ops")
