# The Starling broker in a container (docs/operations.md#docker):
#   docker build -t starling .
#   docker run -p 1883:1883 -v starling-data:/var/lib/starling starling
# Settings: STARLING__ environment variables (-e STARLING__PASSWORDFILE=/etc/starling/passwd), or a JSON file
# mounted at /etc/starling/starling.json and named with --config (docs/configuration.md).

# Build: the SDK publishes the server, framework-dependent, into /app.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# The project files first, so the restore layer is reused while only sources change.
COPY global.json Directory.Build.props Directory.Packages.props LICENSE ./
COPY src/ src/
RUN dotnet restore src/Starling.Server/Starling.Server.csproj
RUN dotnet publish src/Starling.Server/Starling.Server.csproj -c Release --no-restore -o /app -p:ContinuousIntegrationBuild=true \
    && dotnet publish src/Starling.Security.Passwd/Starling.Security.Passwd.csproj -c Release -o /app/passwd

# Run: the ASP.NET Core runtime (the server's WebSocket and monitor listeners are Kestrel), as a user that is not root.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# curl for the HEALTHCHECK only.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/* \
    && mkdir -p /var/lib/starling /etc/starling \
    && chown "$APP_UID" /var/lib/starling
COPY --from=build /app /app
# The image's own unprivileged user (APP_UID, 1654): the broker needs no root; 1883 and 8883 are above 1024.
USER $APP_UID
# The state (Starling:Storage:Path "data", relative) lives in the volume: sessions, queues, retained messages.
WORKDIR /var/lib/starling
VOLUME /var/lib/starling
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1
# MQTT, MQTT over TLS when configured; the monitor stays on the container's loopback unless
# STARLING__MONITOR__BINDADDRESS=0.0.0.0 (it then asks for an API key or a password-file user).
EXPOSE 1883 8883
# GET /health on the monitor's listener answers "ok" once the broker has started its listeners.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD curl --fail --silent --max-time 4 http://127.0.0.1:18083/health || exit 1
# SIGTERM (docker stop) is the graceful stop; give it Starling:ShutdownTimeoutSeconds: docker stop -t 40.
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "/app/starling-server.dll"]
