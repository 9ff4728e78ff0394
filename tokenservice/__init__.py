"""The organization token service: employees sign in here and get Rocket.Chat login tokens.

Run it with `python -m tokenservice --config tokenservice.toml`; see docs/tokenservice.md.
"""

from .config import ConfigError, CookieSettings, TokenServiceConfig, load_config
from .directory import Employee, EmployeeDirectory, UsersFileDirectory
from .rocketchat import ServiceAccount

__all__ = [
    "ConfigError",
    "CookieSettings",
    "Employee",
    "EmployeeDirectory",
    "ServiceAccount",
    "TokenServiceConfig",
    "UsersFileDirectory",
    "load_config",
]
