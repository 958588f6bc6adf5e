"""Demo service v3, the stable release (``uvicorn services.v3.app:app --port 8003``)."""
from services.demo import StateView, make_app

app = make_app("v3", stable=True)
APP_STATE = StateView(app.state.demo)   # the original's module-level view of this app's state
