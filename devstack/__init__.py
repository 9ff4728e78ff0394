"""The development stack: the Rocket.Chat stand-in and the token service with a demo employee, used by
`make demo`, the end-to-end tests and the benchmark. Not part of the launcher's wheel or bundle."""
