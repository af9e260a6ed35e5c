"""`python -m pm_pipeline.portal`: the returns portal on PM_PORTAL_HOST:PM_PORTAL_PORT
(default 127.0.0.1:3001), behind the council's reverse proxy in production (docs/portal.md)."""

import uvicorn

from pm_pipeline.portal.app import create_app
from pm_pipeline.portal.security import Settings


def main() -> None:
    settings = Settings.from_env()
    print(f"The returns portal: http://{settings.host}:{settings.port}/", flush=True)
    if settings.demo_login:
        print(
            "  demo sign-in is on (PM_PORTAL_DEMO_LOGIN=1): anyone can sign in as anyone in "
            "people.csv; never with real data",
            flush=True,
        )
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        proxy_headers=False,  # the portal decides itself which proxy it believes
        server_header=False,
        log_level="info",
    )


if __name__ == "__main__":
    main()
