using Microsoft.Extensions.Logging;

namespace TraceLink.Storage.Spans;

/// <summary>Source-generated log messages of the span store.</summary>
internal static partial class SpanStoreLog
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "Span store opened at {Directory}: log [{BeginAddress}, {TailAddress}), index checkpoint cookie {Cookie}, replayed {Records} records in {ElapsedMs} ms")]
    public static partial void Opened(ILogger logger, string directory, long beginAddress, long tailAddress, long cookie, long records, long elapsedMs);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Span index has no usable checkpoint; rebuilding it from the span log")]
    public static partial void RebuildingIndex(ILogger logger);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Span log tail is torn or corrupt at address {Address} (committed tail {TailAddress}); dropping [{Address}, {TailAddress}) - these records are never served")]
    public static partial void TornTail(ILogger logger, long address, long tailAddress);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "Span index checkpoint (cookie {Cookie}) is ahead of the span log tail {TailAddress}; discarding the index and rebuilding it")]
    public static partial void IndexAheadOfLog(ILogger logger, long cookie, long tailAddress);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Warning, Message = "Span tag catalog {Path} is missing or damaged; rebuilding it from the whole span log")]
    public static partial void CatalogUnreadable(ILogger logger, string path);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Error, Message = "Span index checkpoint failed")]
    public static partial void CheckpointFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Information, Message = "Span retention removed spans before address {Address} (start before {Cutoff:O})")]
    public static partial void RetentionTruncated(ILogger logger, long address, DateTimeOffset cutoff);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Error, Message = "Span retention failed")]
    public static partial void RetentionFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3108, Level = LogLevel.Warning, Message = "Span index could not be recovered ({Reason}); rebuilding it from the span log")]
    public static partial void IndexUnrecoverable(ILogger logger, string reason);
}
