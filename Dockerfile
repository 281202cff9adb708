# One image for every service; the command selects it: `maag serve referral` (etc.).
# Build: docker build -t ghcr.io/maag/maag:0.1.0 .
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY maag ./maag
COPY contracts ./contracts
COPY services ./services
RUN pip install --no-cache-dir build && python -m build --wheel --outdir /wheels \
 && pip wheel --no-cache-dir --wheel-dir /wheels /wheels/maag-*.whl

# The GOV.UK Design System's styles, scripts and fonts for the web app, pinned by its lockfile.
FROM node:20-slim AS assets
WORKDIR /frontend
COPY services/web/frontend/package.json services/web/frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM python:3.11-slim
RUN groupadd --gid 10001 maag && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin maag
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels maag && rm -rf /wheels
COPY --from=assets /frontend/node_modules/govuk-frontend/dist/govuk /opt/govuk-frontend
USER 10001:10001
ENV PYTHONUNBUFFERED=1 MAAG_LOG_FORMAT=json MAAG_HTTP_HOST=0.0.0.0 MAAG_HTTP_PORT=8000 \
    MAAG_WEB_ASSETS=/opt/govuk-frontend
EXPOSE 8000
ENTRYPOINT ["maag"]
CMD ["serve", "referral"]
