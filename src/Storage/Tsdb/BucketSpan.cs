namespace TraceLink.Storage.Tsdb;

/// <summary>A run of consecutive native-histogram buckets: <see cref="Offset"/> gap from the previous span, <see cref="Length"/> buckets.</summary>
public readonly record struct BucketSpan(int Offset, uint Length);
