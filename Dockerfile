# One image for every service; the command selects it: `maag serve referral` (etc.).
# Build: docker build -t ghcr.io/maag/maag:0.1.0 .
# Its packages are the versions requirements.lock pins, checked against the lock's hashes: the
# ones the tests ran (`python -m maag.ops.lock` refreshes the lock after pyproject.toml changes).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY maag ./maag
COPY contracts ./contracts
COPY services ./services
# The project's own wheel only: its dependencies come from the lock, never from resolving here.
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

# The GOV.UK Design System's styles, scripts and fonts for the web app, pinned by its lockfile.
FROM node:20-slim AS assets
WORKDIR /frontend
COPY services/web/frontend/package.json services/web/frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim
RUN groupadd --gid 10001 maag && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin maag
# The locked dependencies in a layer of their own, rebuilt only when the lock changes.
COPY requirements.lock /tmp/requirements.lock
RUN pip install --no-cache-dir --require-hashes -r /tmp/requirements.lock && rm /tmp/requirements.lock
# Then the project without resolving anything; `pip check` fails the build if the wheel needs a
# package (or a version) the lock does not hold.
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-deps /wheels/maag-*.whl && rm -rf /wheels && pip check
COPY --from=assets /frontend/node_modules/govuk-frontend/dist/govuk /opt/govuk-frontend
USER 10001:10001
ENV PYTHONUNBUFFERED=1 MAAG_LOG_FORMAT=json MAAG_HTTP_HOST=0.0.0.0 MAAG_HTTP_PORT=8000 \
    MAAG_WEB_ASSETS=/opt/govuk-frontend
EXPOSE 8000
ENTRYPOINT ["maag"]
CMD ["serve", "referral"]
