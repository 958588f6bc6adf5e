from services.demo import make_app
app = make_app("v3", stable=True)
