"""The window: the shell and its states, the hand-off of the token to Rocket.Chat's page, the local pages'
bridge, where the window may navigate, and the web engines behind one interface (`engines`)."""
