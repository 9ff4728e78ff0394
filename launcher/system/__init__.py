"""What the launcher does with the operating system outside its window: start at login, one instance."""
