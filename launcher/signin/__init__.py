"""Signing in, with no UI: the organization and Rocket.Chat clients (`orgclient`, `rcclient`), the keyring
store (`credentials`), the HTTP set-up (`http`), and the flow that ties them together (`flow`: resume
without a prompt, sign in, sign out). Nothing is imported here, so that importing one part stays cheap."""
