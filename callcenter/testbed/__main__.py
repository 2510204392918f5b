"""python -m callcenter.testbed build|start|stop [NAME]: manage the Asterisk test bed."""

from __future__ import annotations

import sys

from callcenter.testbed.asterisk import DEFAULT_ROOT, TestBed, build_chroot


def main(argv: list[str]) -> int:
    action = argv[0] if argv else "build"
    if action == "build":
        print(f"Asterisk test bed chroot ready at {build_chroot(DEFAULT_ROOT)}")
        return 0
    if action == "check":
        with TestBed(name="check") as bed:
            print(f"Asterisk booted; AMI on 127.0.0.1:{bed.ami_port}")
        return 0
    print("usage: python -m callcenter.testbed build|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
