"""A Rocket.Chat stand-in for tests and the demo: Rocket.Chat's REST contract and a small web client.

It is not Rocket.Chat. It reproduces the parts the launcher depends on (see docs/architecture.md and the
Rocket.Chat reference), plus a test-only side door under `/sandbox/...`.
"""

from .config import ConfigError, SandboxConfig, SandboxUser, load_config
from .sandbox import Sandbox

__all__ = ["ConfigError", "Sandbox", "SandboxConfig", "SandboxUser", "load_config"]
