"""`rocketchat-launcher doctor`: one line per check of the configuration, the servers and the keyring
(`checks`), and the look at Rocket.Chat's certificate chain judged as the page judges it (`certificate`).

Imports nothing itself, so each part loads only when used."""
