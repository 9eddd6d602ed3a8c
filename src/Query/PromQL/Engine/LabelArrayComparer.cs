using TraceLink.Storage.Tsdb;

namespace TraceLink.Query.PromQL.Engine;

/// <summary>Structural equality for label arrays used as dictionary keys.</summary>
internal sealed class LabelArrayComparer : IEqualityComparer<Label[]>
{
    public static readonly LabelArrayComparer Instance = new();

    public bool Equals(Label[]? x, Label[]? y) => x != null && y != null && Labels.Equal(x, y);

    public int GetHashCode(Label[] obj) => (int)Labels.Hash(obj);
}
