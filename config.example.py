"""Backpack settings: every one, with its default and meaning.

Settings load in this order, each overriding the one before:
  1. the defaults in backpack/config.py (the values shown below),
  2. this kind of file, named by the environment variable BACKPACK_CONFIG,
  3. environment variables with the BACKPACK_ prefix, e.g. BACKPACK_SECRET_KEY=...
     (values are read as JSON when they parse, so BACKPACK_FETCH_ALLOW_PRIVATE=1 is a number),
  4. the mapping a test passes to create_app().

Copy this file, keep what you change, and point BACKPACK_CONFIG at the copy.
"""

# --- The server -----------------------------------------------------------------------

# "production" (the default) or "development". Development allows plain-http cookies and
# writes a random SECRET_KEY into instance/secret_key when none is set; production refuses
# to start without a SECRET_KEY of at least 32 characters. `make run` sets development.
ENVIRONMENT = "production"

# Signs sessions, CSRF tokens and mailed links. Make one with
#   python -c 'import secrets; print(secrets.token_urlsafe(48))'
SECRET_KEY = None

# The absolute URL of this server (scheme, host, optional path), used in mailed links and in
# the discovery documents other servers read. Required, and https, outside development (a
# link built from the request's Host header could be pointed at another site).
BASE_URL = None

# How many reverse proxies (nginx, a load balancer) stand in front of gunicorn. Their
# X-Forwarded-For and X-Forwarded-Proto headers are trusted for that many hops, so rate
# limits count each client's own address. 0: no proxy; the headers are ignored.
TRUSTED_PROXIES = 0

# Flask's own: the host name to build URLs with outside a request. Usually leave unset.
SERVER_NAME = None
PREFERRED_URL_SCHEME = "http"

# Largest request body accepted, in bytes (uploads included).
MAX_CONTENT_LENGTH = 16 * 1024 * 1024

# --- The database ---------------------------------------------------------------------

# Unset: SQLite in instance/backpack.sqlite3. For PostgreSQL:
#   "postgresql+psycopg://user:password@host:5432/backpack"
SQLALCHEMY_DATABASE_URI = None
SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

# --- Redis (optional) -----------------------------------------------------------------

# With a Redis URL, rate limits are shared by every server process through Redis.
# Unset: limits are counted in each process's memory.
REDIS_URL = None
# While Redis is unreachable, rate limits are counted in each process's memory instead (so
# they still hold, per process) and Redis is tried again now and then; a warning is logged.
# False: every rate-limited request fails with a 500 until Redis is back.
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True

# --- Background tasks (huey) ------------------------------------------------------------
# Web imports run on a huey queue, worked by `huey_consumer backpack.worker.queue`. With
# REDIS_URL set the queue lives in Redis; otherwise in this SQLite file (embedded, durable).
# An upload made while Redis is unreachable is refused with a 503 and a reason (nothing is
# kept; the user uploads again later); the worker waits and reconnects by itself.
TASKS_SQLITE_PATH = None  # None: instance/tasks.sqlite3
# Run each task at once inside the request instead of queueing it (for tests).
TASKS_IMMEDIATE = False
# After each import, have the queue verify the imported badges with their issuers, a few
# at a time, the badges their owners are most likely to look at first (see
# backpack/services/badge_checks.py). Off: they stay "not checked yet" until
# `flask --app wsgi badges reverify` (which always takes them) or their owner checks them.
VERIFY_IMPORTED_BADGES = True
# Where imports keep their files: uploaded ZIPs waiting for the worker, and each import's
# failures file (one JSON line per failed record). Keep it outside any web-served folder:
# the owner downloads a web job's failures through a logged-in page. When it is full, an
# upload is refused with a 503 (nothing kept), and an import that cannot write its
# failures file goes on without it: its report lists the first 50 and says why.
IMPORTS_DIR = None  # None: instance/imports
# One person's imports must not hold the worker for everyone: an account may have this many
# web imports waiting or running at once, and each stops after IMPORT_JOB_SECONDS, keeping
# what it imported (uploading the same file again goes on from there; nothing is doubled).
# A job whose worker died (killed, out of memory, a deploy) is resumed when a consumer
# starts and every minute by a running one; IMPORTS_DIR must then be one file system with
# working locks for every worker (local, or NFSv4), since a lock there says who runs what.
IMPORT_JOBS_PER_USER = 1
IMPORT_JOB_SECONDS = 900

# --- Rate limits (Flask-Limiter syntax; several limits separated by ";") ---------------

RATELIMIT_ENABLED = True
RATELIMIT_LOGIN = "10 per minute;50 per hour"  # per client address
RATELIMIT_SIGNUP = "5 per minute;20 per hour"  # per client address
RATELIMIT_PASSWORD_RESET = "5 per minute;20 per hour"  # noqa: S105 (a limit); per client address
RATELIMIT_EMAIL_SEND = "3 per minute;20 per day"  # verification mail, per account
RATELIMIT_API = "120 per minute;3000 per hour"  # /api/v1 requests, per token and per account
# "Verify now" on public pages: per visitor address, and for all visitors together.
RATELIMIT_PUBLIC_VERIFY = "6 per minute;60 per hour"
RATELIMIT_PUBLIC_VERIFY_ALL = "120 per minute"
RATELIMIT_DISPLAYER_LOOKUP = "30 per minute;500 per day"  # Displayer address lookups, per client
RATELIMIT_OB3_DISCOVERY = "60 per minute;1000 per hour"  # the 3.0 API's discovery, per client

# --- Issuer platforms (Badge Connect, OAuth) --------------------------------------

# The name issuer platforms show for this backpack (Badge Connect manifest).
SITE_NAME = "Backpack"
# Links the Badge Connect manifest must give; the home page is given when unset.
TERMS_OF_SERVICE_URL = None
PRIVACY_POLICY_URL = None
# OAuth dynamic client registration (RFC 7591) needs no token, so it is limited per client IP.
RATELIMIT_OAUTH_REGISTER = "10 per hour;50 per day"

# --- Mail -----------------------------------------------------------------------------

# With MAIL_SERVER set, mail goes out by SMTP. Unset: each message is written as an .eml file
# to MAIL_OUTBOX_DIR and its link is logged, so a local user can click it.
MAIL_SERVER = None
MAIL_PORT = 587
MAIL_USERNAME = None
MAIL_PASSWORD = None
MAIL_USE_TLS = True  # STARTTLS after connecting
MAIL_SENDER = "Backpack <no-reply@localhost>"
MAIL_OUTBOX_DIR = None  # unset: instance/outbox

# --- Accounts -------------------------------------------------------------------------

EMAIL_VERIFICATION_MAX_AGE = 24 * 3600  # seconds a verification link works
PASSWORD_RESET_MAX_AGE = 3600  # seconds a password-reset link works
PASSWORD_MIN_LENGTH = 10
# The cost of each Argon2id password hash: passes, memory in KiB, and threads. Raise them as
# far as log-in latency allows on your hardware; hashes made with older settings are
# re-hashed at the next log-in.
ARGON2_TIME_COST = 3
ARGON2_MEMORY_COST = 65536
ARGON2_PARALLELISM = 4

# --- Cookies --------------------------------------------------------------------------

# None: Secure everywhere but development (where the server is plain http on 127.0.0.1).
SESSION_COOKIE_SECURE = None
REMEMBER_COOKIE_SECURE = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
# Seconds a log-in lasts with "remember me" ticked (the cookie lasts as long), and without.
# Each log-in is a row in login_session: logging out, changing the password, or ending it
# from the settings page closes it, even for a stolen copy of the cookie.
REMEMBER_COOKIE_DURATION = 365 * 24 * 3600
LOGIN_SESSION_LIFETIME = 14 * 24 * 3600
WTF_CSRF_TIME_LIMIT = None  # seconds a form's CSRF token lives; None: as long as the session

# --- Public share pages ---------------------------------------------------------------

# A visitor's "verify now" asks the issuer again at most this often per badge (seconds);
# within it, the last result stands. With the rate limits above, this keeps visitors from
# hammering an issuer's server.
PUBLIC_VERIFY_INTERVAL = 600
# Rendered public pages kept in each server process's memory, reused while their version
# (read from the database) is unchanged. 0 turns the cache off.
PUBLIC_PAGE_CACHE_SIZE = 512
# Seconds a cached public page is served before its version is read again. Within it, an
# unpublished link or a rejected badge may still show in other server processes (the process
# that made the change forgets the page at once). 0: check the database on every request.
PUBLIC_PAGE_FRESHNESS = 1.0

# --- Fetching badges and issuer documents ---------------------------------------------

# Let the fetcher reach loopback and private addresses. Off: only public addresses, checked
# after DNS resolution and on every redirect. Turn on only for local testing.
FETCH_ALLOW_PRIVATE = False
FETCH_TIMEOUT = 10.0  # seconds, per fetch
# A badge needs several documents and a request may verify many badges, so fetches share
# time budgets: every fetch of one verification ends within VERIFICATION_SECONDS, every
# fetch of one web or API request within REQUEST_SECONDS. What runs out is answered with
# what is known: the badge is "unverifiable" for now, with the reason, and checked later.
VERIFICATION_SECONDS = 20.0
REQUEST_SECONDS = 30.0
# Verifications fetching at once in one server process. Keep it well below gunicorn's
# --threads (8 with `make run`), so that slow issuers never hold the threads that pages
# which fetch nothing need; a fetch that finds no free slot within half a second fails as
# "busy, try again" (0: no bound).
FETCH_MAX_IN_FLIGHT = 3
# Issuer profiles, badge classes and keys are kept across verifications as HTTP caching says
# (Cache-Control, Expires, ETag and Last-Modified, revalidated with conditional requests; at
# most a day). This is how long one is kept when its issuer says nothing (0 turns the cache
# off). Hosted assertions and revocation lists are fetched for every verification, so a
# revocation is seen at once.
ISSUER_DOCUMENT_TTL = 300
# Badges that `badges reverify`, the background checks of imports and a pull from another
# backpack verify at once, with at most two at a time from any one issuer, so that a slow
# issuer does not set the pace.
REVERIFY_WORKERS = 8
