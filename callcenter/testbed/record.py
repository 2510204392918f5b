"""Record the AMI stream of each scenario from the real test bed as a replay fixture.

    python -m callcenter.testbed.record [SCENARIO ...]

The stream is what the daemon's own least-privilege account receives, with the
seconds since the scenario started, stored in tests/fixtures/inbound/<name>.json.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from callcenter.ami.client import AmiClient, RawMessage
from callcenter.ami.settings import AmiSettings
from callcenter.testbed.asterisk import DAEMON_SECRET, DAEMON_USER, PROJECT_DIR, TestBed
from callcenter.testbed.control import Controller
from callcenter.testbed.scenarios import SCENARIOS, Scenario

FIXTURES = PROJECT_DIR / "tests" / "fixtures" / "inbound"


async def record(bed: TestBed, scenario: Scenario) -> list[dict[str, object]]:
    records: list[dict[str, object]] = []
    start = time.monotonic()

    def keep(message: RawMessage) -> None:
        records.append({"t": round(time.monotonic() - start, 3), "event": message})

    listener = AmiClient(AmiSettings(port=bed.ami_port, username=DAEMON_USER,
                                     secret=DAEMON_SECRET), on_message=keep)
    task = asyncio.create_task(listener.run(), name="recorder")
    try:
        await listener.wait_connected(10)
        start = time.monotonic()
        records.clear()
        async with Controller(bed) as controller:
            await scenario.play(controller)
            await asyncio.sleep(scenario.settle_s)
    finally:
        listener.stop()
        await task
    return records


async def main(names: list[str]) -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name in names or list(SCENARIOS):
        scenario = SCENARIOS[name]
        bed = TestBed(name="recorder")
        bed.start()
        try:
            records = await record(bed, scenario)
        finally:
            bed.stop()
        fixture = {"scenario": name, "description": scenario.description,
                   "recorded_with": "Asterisk 22 (Debian sid) test bed", "events": records}
        path = FIXTURES / f"{name}.json"
        path.write_text(json.dumps(fixture, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{path}: {len(records)} messages")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
