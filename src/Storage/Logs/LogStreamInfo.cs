using TraceLink.Storage.Tsdb;

namespace TraceLink.Storage.Logs;

/// <summary>A log stream: a distinct set of stream labels (Loki's notion), identified by a store-local id.</summary>
public sealed class LogStreamInfo
{
    internal LogStreamInfo(int id, Label[] labels, string key)
    {
        Id = id;
        Labels = labels;
        Key = key;
    }

    /// <summary>Store-local id, stable across reopen.</summary>
    public int Id { get; }

    /// <summary>Labels sorted by name.</summary>
    public IReadOnlyList<Label> Labels { get; }

    /// <summary>Canonical rendering <c>{a="1", b="2"}</c>, unique per stream.</summary>
    public string Key { get; }

    /// <summary>A label's value, empty when absent (as matchers see it).</summary>
    public string Get(string name)
    {
        foreach (var label in Labels)
        {
            if (label.Name == name)
            {
                return label.Value;
            }
        }

        return string.Empty;
    }
}
