"""Demo service v1, the first release (``uvicorn services.v1.app:app --port 8001``)."""
from services.demo import StateView, make_app

app = make_app("v1")
APP_STATE = StateView(app.state.demo)   # the original's module-level view of this app's state
