namespace TraceLink.Storage.Assembly;

/// <summary>Where a span was observed (DESIGN.md §3 <c>tap_side</c>).</summary>
internal enum TapSide : byte
{
    /// <summary>SDK span that is neither client nor server (internal).</summary>
    App = 0,

    /// <summary>Sensor span seen in the client process.</summary>
    Client = 1,

    /// <summary>Sensor span seen in the server process.</summary>
    Server = 2,

    /// <summary>SDK client/producer span.</summary>
    ClientApp = 3,

    /// <summary>SDK server/consumer span.</summary>
    ServerApp = 4,
}
