"""The log scan finds a secret in any log file, rotated ones included, and names the file, not the secret."""

from __future__ import annotations

from tests.launcher.log_scan import leaks, log_files


def test_the_scan_finds_a_secret_in_a_nested_or_rotated_log_and_names_only_its_start(tmp_path):
    (tmp_path / "a" / "logs").mkdir(parents=True)
    (tmp_path / "a" / "logs" / "launcher.log").write_text("signed in as alice\n", encoding="utf-8")
    (tmp_path / "b" / "logs").mkdir(parents=True)
    (tmp_path / "b" / "logs" / "launcher.log.1").write_text("token=s3cret-token-value\n", encoding="utf-8")
    assert len(log_files(tmp_path)) == 2
    found = leaks(tmp_path, {"s3cret-token-value", "alice-org-pw"})
    assert found == [
        f"{tmp_path.joinpath('b', 'logs', 'launcher.log.1').relative_to(tmp_path)} contains s3c…"
    ]
    assert leaks(tmp_path, {"alice-org-pw"}) == []
