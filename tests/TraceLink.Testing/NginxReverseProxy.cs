namespace TraceLink.Testing;

/// <summary>
/// Starts Debian's nginx (<c>.ci/setup-packages</c>) as a single-process reverse proxy from loopback to a loopback
/// upstream that stamps an <c>X-Request-ID</c> on the request it forwards and on the response.
/// </summary>
public static class NginxReverseProxy
{
    /// <summary>Path of the nginx binary the tests use.</summary>
    public const string Program = "/usr/sbin/nginx";

    /// <summary>Null when nginx is installed, else the reason a test skips.</summary>
    public static string? Missing() => File.Exists(Program) ? null : "nginx is not installed (.ci/setup-packages)";

    /// <summary>
    /// Writes <c>nginx.conf</c> into <paramref name="directory"/> (which also takes its pid, log and temp files) and
    /// starts nginx listening on <paramref name="port"/>; <paramref name="locationDirectives"/> go into the proxied location.
    /// </summary>
    public static async Task<ExternalProcess> StartAsync(string directory, int port, int upstreamPort, string locationDirectives = "")
    {
        string config = $$"""
            daemon off;
            master_process off;
            worker_processes 1;
            pid {{directory}}/nginx.pid;
            error_log {{directory}}/error.log;
            events { worker_connections 256; }
            http {
              access_log off;
              client_body_temp_path {{directory}}/body;
              proxy_temp_path {{directory}}/proxy;
              fastcgi_temp_path {{directory}}/fastcgi;
              uwsgi_temp_path {{directory}}/uwsgi;
              scgi_temp_path {{directory}}/scgi;
              server {
                listen 127.0.0.1:{{port}};
                location / {
                  proxy_pass http://127.0.0.1:{{upstreamPort}};
                  proxy_set_header X-Request-ID $request_id;
                  add_header X-Request-ID $request_id always;
                  {{locationDirectives}}
                }
              }
            }
            """;
        string path = Path.Combine(directory, "nginx.conf");
        await File.WriteAllTextAsync(path, config);
        return await ExternalProcess.StartAsync(Program, $"-p {directory} -c {path}", directory, port);
    }
}
