namespace TraceLink.Server.Hosting;

/// <summary>A start-up failure the user can fix (port in use, unreadable data directory); printed as one line.</summary>
internal sealed class StartupException(string message, Exception? inner = null) : Exception(message, inner);
