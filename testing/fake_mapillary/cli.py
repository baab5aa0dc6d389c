"""Run the Mapillary stand-in from a checkout: ``python -m testing.fake_mapillary``.

A tool for tests, benchmarks and offline demos: it is not part of the installed server (the
``testing`` package is left out of the wheel).
"""

import argparse
import signal
import sys

from testing.fake_mapillary.server import (
    APPLICATION_TOKEN,
    FAULTS,
    LINK_TTL_SECONDS,
    OWNER,
    RECORDED_SEQUENCE,
    STRANGER,
    FakeMapillary,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)"
    )
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds added to every request (e.g. 0.05)"
    )
    parser.add_argument(
        "--link-ttl",
        type=float,
        default=LINK_TTL_SECONDS,
        help="seconds a signed photo link lasts before it answers 403 (default: 3 days)",
    )
    parser.add_argument(
        "--pano",
        action="append",
        default=[],
        metavar="KEY=COUNT",
        help="serve a generated sequence of COUNT 360-degree panoramas",
    )
    parser.add_argument(
        "--sequence",
        action="append",
        default=[],
        metavar="KEY=COUNT[@stranger]",
        help="serve a generated sequence of COUNT images (owned by the stranger with @stranger)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="KIND[:PATH[:TIMES[:AFTER]]]",
        help=f"inject a fault; KIND is one of {', '.join(FAULTS)}; TIMES may be 'all'",
    )
    parser.add_argument(
        "--any-token",
        action="store_true",
        help="take any token as some user's (for schema fuzzers that make tokens up)",
    )


def build(options: argparse.Namespace) -> FakeMapillary:
    """A stand-in configured from parsed command-line options (not started)."""
    fake = FakeMapillary(options.port, latency=options.latency, link_ttl=options.link_ttl)
    fake.any_token = options.any_token
    for spec in options.pano:
        key, _, count = spec.partition("=")
        if not key or not count.isdigit():
            raise SystemExit(f"fake-mapillary: --pano {spec!r}: use KEY=COUNT")
        fake.add_sequence(key, int(count), pano=True)
    for spec in options.sequence:
        key, _, rest = spec.partition("=")
        count, _, who = rest.partition("@")
        if not key or not count.isdigit() or who not in ("", "stranger"):
            raise SystemExit(
                f"fake-mapillary: --sequence {spec!r}: use KEY=COUNT or KEY=COUNT@stranger"
            )
        fake.add_sequence(key, int(count), owner=STRANGER if who else OWNER)
    for spec in options.fault:
        kind, path, times, after = (spec.split(":") + ["", "", ""])[:4]
        try:
            fake.inject(
                kind,
                path or "/",
                times=None if times == "all" else int(times or 1),
                after=int(after or 0),
            )
        except ValueError as error:
            raise SystemExit(f"fake-mapillary: --fault {spec!r}: {error}") from None
    return fake


def describe(fake: FakeMapillary) -> str:
    lines = [
        f"Mapillary stand-in on {fake.url} (latency {fake.latency * 1000:.0f} ms)",
        f"  MAPILLARY_API_URL={fake.url}",
        f"  token of {OWNER.username} (id {OWNER.id}): {OWNER.token}",
        f"  token of {STRANGER.username} (id {STRANGER.id}): {STRANGER.token}",
        f"  MAPILLARY_CLIENT_TOKEN={APPLICATION_TOKEN}",
        f"  photo links last {fake.link_ttl:g} s",
        "  sequences:",
    ]
    for key, sequence in fake.sequences.items():
        recorded = " (recorded)" if key == RECORDED_SEQUENCE else ""
        lines.append(
            f"    {key}: {len(sequence.image_ids())} images by {sequence.owner.username}{recorded}"
        )
    for fault in fake.faults:
        times = "every" if fault.times is None else f"{fault.times}x"
        lines.append(f"  fault: {fault.kind} on {fault.path} {times} after {fault.after}")
    return "\n".join(lines)


def run(options: argparse.Namespace) -> None:
    fake = build(options)
    print(describe(fake), flush=True)
    try:
        fake.serve_forever()
    except KeyboardInterrupt:
        pass


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m testing.fake_mapillary",
        description="Serve a local stand-in for the Mapillary Graph API v4 on 127.0.0.1.",
    )
    add_arguments(parser)
    options = parser.parse_args(sys.argv[1:] if argv is None else argv)
    # Stop cleanly on SIGTERM as on Ctrl+C.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    run(options)
    return 0
