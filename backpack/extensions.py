"""Flask extensions, created unbound here and bound to the app in create_app()."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from backpack.models.base import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Storage (memory or Redis) is chosen from REDIS_URL in create_app().
limiter = Limiter(key_func=get_remote_address, default_limits=[])
