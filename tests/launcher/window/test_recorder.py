"""The recorder's report.json stays one whole JSON document when states are recorded from several threads
(the window's state listener, the watchdog and the tests' driver all write it). Fast: no window."""

from __future__ import annotations

import threading
from pathlib import Path

from launcher.window.recorder import Recorder, read_json


def test_report_json_is_whole_when_many_threads_write_it_at_once(tmp_path: Path) -> None:
    recorder = Recorder(tmp_path, plan={})
    recorder.report["states"] = [{"state": "signing-in", "info": {"text": "x" * 4000}} for _ in range(40)]
    start = threading.Barrier(8)
    broken: list[object] = []

    def write_many() -> None:
        start.wait()
        for number in range(40):
            recorder.report["actions"].append({"do": "x" * (number * 97 % 3000)})  # each write its own size
            recorder.write()
            if read_json(tmp_path / "report.json") is None:
                broken.append(True)

    threads = [threading.Thread(target=write_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert broken == [], f"report.json was unreadable {len(broken)} times out of 320 reads"
    recorder.write()
    assert read_json(tmp_path / "report.json") == recorder.report
