namespace TraceLink.Storage.Tests.Assembly.Scenarios;

/// <summary>One generated trace: its SDK trace id (null when eBPF-only), its root span and all its spans.</summary>
internal sealed record ScenarioTrace(int Index, byte[]? TraceId, int RootGid, List<int> Gids);
