"""Demo service v2, the fallback release (``uvicorn services.v2.app:app --port 8002``)."""
from services.demo import StateView, make_app

app = make_app("v2")
APP_STATE = StateView(app.state.demo)   # the original's module-level view of this app's state
