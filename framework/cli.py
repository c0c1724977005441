"""The ``aviary`` command.

    aviary run SERVICE… [--config FILE] [--zk HOSTS|embedded|none] [--env NAME]
                        [--thrift-port N] [--http-port N] [--admin-port N] [--workers N]
                        [--set SERVICE.SETTING=VALUE]… [--reload] [--check]
    aviary ls DEST [--json]                       (see framework.client.cli)
    aviary call DEST METHOD '{"arg": …}' [--http] [--idl FILE]
    aviary dev [the flags of run, but --workers]     (services.dev, through aviary.commands)
    aviary new NAME [--dir DIR]                   a service package to start from (framework.scaffold)

Installed packages may add subcommands: an entry point in the group ``aviary.commands`` names
a function that takes the subparsers (``argparse``'s ``add_subparsers()`` result) and adds its
parser with ``set_defaults(fn=command)``; ``command(args)`` returns the exit status. That is how
``aviary dev`` (in ``services``) joins without ``framework`` importing ``services``.
"""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Sequence

from .errors import AviaryError

__all__ = ["main", "build_parser", "add_run_flags", "flags_from", "reload_or_check", "settings_help", "COMMANDS"]


COMMANDS = "aviary.commands"


def add_run_flags(p: argparse.ArgumentParser, *, workers: bool = True) -> None:
    """The settings flags of ``aviary run``, for every command that starts a host."""
    p.add_argument("--config", metavar="FILE", help="TOML settings file")
    p.add_argument("--zk", metavar="HOSTS", help="ZooKeeper hosts, 'embedded' or 'none'")
    p.add_argument("--env", metavar="NAME", help="environment name in the serverset path")
    p.add_argument("--bind", metavar="ADDR", help="address to listen on")
    p.add_argument("--thrift-port", metavar="N", help="Thrift port of the first service")
    p.add_argument("--http-port", metavar="N", help="HTTP port of the first service")
    p.add_argument("--admin-port", metavar="N", help="admin port")
    if workers:
        p.add_argument("--workers", metavar="N", help="serving processes (default 1; auto or 0: one per core)")
    p.add_argument("--log-level", metavar="LEVEL", help="debug, info, warning or error")
    p.add_argument("--set", metavar="KEY=VALUE", action="append", default=[], help="any setting, e.g. eventlog.data_dir=/tmp/ev")
    p.add_argument("--reload", action="store_true", help="restart when a .py or .thrift of the services changes (development)")
    p.add_argument("--check", action="store_true", help="build the services (IDL, handler) and exit without serving")


def reload_or_check(args: argparse.Namespace, settings: Any, services: Sequence[str]) -> int | None:
    """What ``--reload`` and ``--check`` do for a command that starts a host, or None to go on
    and serve. ``--reload``: supervise this same command (`framework.reload`); ``--check``:
    build the services, print ``checked NAME idl=PATH`` for each, exit 0."""
    from . import plugins
    from .reload import CHECKED, Reloader, idl_files

    if args.reload:
        return Reloader([a for a in args.argv if a != "--reload"], services, settings).run()
    if args.check:
        for name in services:
            service = plugins.create(name, settings)
            print(f"{CHECKED} {service.name} " + " ".join(f"idl={p}" for p in idl_files(service.idl.module)), flush=True)
        return 0
    return None


def settings_help() -> str:
    """Every host-wide setting with its default and why, for ``aviary run --help``."""
    from .config import HOST_SETTINGS

    lines = ["settings (TOML file, AVIARY_<NAME> variables, --set NAME=VALUE; later wins):"]
    for s in HOST_SETTINGS:
        lines.append(f"  {s.name} = {s.default!r}")
        lines.append(f"      {s.help}")
    return "\n".join(lines)


def flags_from(args: argparse.Namespace) -> dict[str, Any]:
    """The flags `add_run_flags` parsed, as `framework.config.load` takes them."""
    flags: dict[str, Any] = {}
    for name in ("zk", "env", "bind", "thrift_port", "http_port", "admin_port", "workers", "log_level"):
        flags[name] = getattr(args, name, None)
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise AviaryError(f"--set {item!r}: expected KEY=VALUE")
        flags[key if "." not in key else f"services.{key}"] = value
    return flags


def _cmd_run(args: argparse.Namespace) -> int:
    import uvloop

    from . import config, plugins
    from .assembly import assemble, configure_logging

    configure_logging()  # before the settings load: an ignored AVIARY_* variable is logged like any line
    settings = config.load(args.config, flags=flags_from(args))
    configure_logging(settings.log_level)
    done = reload_or_check(args, settings, args.services)
    if done is not None:
        return done
    services = [plugins.create(name, settings) for name in args.services]
    return uvloop.run(assemble(settings, services).run())


def _cmd_new(args: argparse.Namespace) -> int:
    from .scaffold import create, names

    root = create(args.name, Path(args.dir))
    n = names(args.name)
    print(f"created {root}: the {n['service']} service ({n['package']}/{n['package']}.thrift, its handler in {n['package']}/__init__.py)")
    print("next:")
    print(f"  cd {root}")
    print("  pip install -e .                     # in the environment Aviary is installed in")
    print(f"  aviary run {n['package']} --zk none --reload")
    print("  pytest")
    return 0


def _plugin_commands(sub: Any) -> None:
    """Subcommands of installed packages (entry-point group ``aviary.commands``). One that fails
    to load is reported and left out: the other commands still work."""
    for ep in entry_points(group=COMMANDS):
        try:
            ep.load()(sub)
        except Exception as e:  # noqa: BLE001 - a broken plugin must not take the whole CLI down
            print(f"aviary: command {ep.name!r} ({ep.value}) failed to load, left out: {type(e).__name__}: {e}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    """The ``aviary`` command's parser, with the subcommands of installed packages."""
    parser = argparse.ArgumentParser(prog="aviary", description="Serve Thrift IDL services over Thrift and REST, announced in ZooKeeper.")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run", help="run services by name (entry points in aviary.services)", epilog=settings_help(), formatter_class=argparse.RawDescriptionHelpFormatter
    )
    run.add_argument("services", nargs="+", metavar="SERVICE")
    add_run_flags(run)
    run.set_defaults(fn=_cmd_run)
    new = sub.add_parser("new", help="write a service package to start from: IDL, handler, tests, pyproject.toml")
    new.add_argument("name", metavar="NAME", help="the service's name, e.g. greeter or user-profiles")
    new.add_argument("--dir", default=".", metavar="DIR", help="where to create NAME/ (default: here)")
    new.set_defaults(fn=_cmd_new)
    from .client.cli import add_commands

    add_commands(sub)
    _plugin_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # --reload runs this command line again
    try:
        return int(args.fn(args))
    except AviaryError as e:
        print(f"aviary: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
