"""The baseline of `benchmarks.request_cost`: FastAPI itself, a route answering a small JSON
object, served by uvicorn as `langtutor serve` serves our app."""

from fastapi import FastAPI

app = FastAPI()


@app.get("/json")
async def small_json() -> dict[str, str]:
    return {"status": "ok"}
