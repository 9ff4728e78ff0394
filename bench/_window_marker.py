"""Imported by bench/import_probe.py the moment the window is created: its `-X importtime` record marks
where "imports before the window" end in the probe's output. Deliberately empty."""
