using System.Text;

namespace TraceLink.Storage.Tsdb;

/// <summary>
/// The canonical byte form of a label set that identifies a series: for each label in name order
/// <c>uvarint(len) name-UTF-8 uvarint(len) value-UTF-8</c>. Decoders build it from wire bytes so a known
/// series is found without allocating strings (see <see cref="ISeriesKeyAppender"/>).
/// </summary>
public static class SeriesKey
{
    /// <summary>Appends one label at <paramref name="position"/>, growing <paramref name="buffer"/> if needed; returns the new end.</summary>
    public static int AppendLabel(ref byte[] buffer, int position, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        Ensure(ref buffer, position, name.Length + value.Length + 10);
        position = WriteUVarint(buffer, position, (uint)name.Length);
        name.CopyTo(buffer.AsSpan(position));
        position += name.Length;
        position = WriteUVarint(buffer, position, (uint)value.Length);
        value.CopyTo(buffer.AsSpan(position));
        return position + value.Length;
    }

    /// <summary>Writes the key of <paramref name="labels"/> (sorted by name) at <paramref name="position"/>; returns the new end.</summary>
    public static int Append(ref byte[] buffer, int position, IReadOnlyList<Label> labels)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        ArgumentNullException.ThrowIfNull(labels);
        for (int i = 0; i < labels.Count; i++)
        {
            position = AppendString(ref buffer, position, labels[i].Name);
            position = AppendString(ref buffer, position, labels[i].Value);
        }

        return position;
    }

    /// <summary>The key of <paramref name="labels"/> as a new array.</summary>
    public static byte[] Encode(IReadOnlyList<Label> labels)
    {
        var buffer = new byte[64];
        int n = Append(ref buffer, 0, labels);
        return buffer.AsSpan(0, n).ToArray();
    }

    /// <summary>The labels of a key; throws <see cref="InvalidDataException"/> on a malformed key.</summary>
    public static Label[] Decode(ReadOnlySpan<byte> key)
    {
        int count = 0;
        for (int pos = 0; pos < key.Length; count++)
        {
            pos = Skip(key, Skip(key, pos));
        }

        var labels = new Label[count];
        int p = 0;
        for (int i = 0; i < count; i++)
        {
            string name = ReadString(key, ref p);
            labels[i] = new Label(name, ReadString(key, ref p));
        }

        return labels;
    }

    private static int AppendString(ref byte[] buffer, int position, string s)
    {
        int n = Encoding.UTF8.GetByteCount(s);
        Ensure(ref buffer, position, n + 5);
        position = WriteUVarint(buffer, position, (uint)n);
        return position + Encoding.UTF8.GetBytes(s, buffer.AsSpan(position));
    }

    private static int WriteUVarint(byte[] buffer, int position, uint v)
    {
        while (v >= 0x80)
        {
            buffer[position++] = (byte)(v | 0x80);
            v >>= 7;
        }

        buffer[position++] = (byte)v;
        return position;
    }

    private static int ReadLength(ReadOnlySpan<byte> key, ref int pos)
    {
        uint v = 0;
        for (int shift = 0; shift < 35; shift += 7)
        {
            if (pos >= key.Length)
            {
                break;
            }

            byte b = key[pos++];
            v |= (uint)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                if (v > (uint)(key.Length - pos))
                {
                    break;
                }

                return (int)v;
            }
        }

        throw new InvalidDataException("malformed series key");
    }

    private static int Skip(ReadOnlySpan<byte> key, int pos)
    {
        int n = ReadLength(key, ref pos);
        return pos + n;
    }

    private static string ReadString(ReadOnlySpan<byte> key, ref int pos)
    {
        int n = ReadLength(key, ref pos);
        string s = Encoding.UTF8.GetString(key.Slice(pos, n));
        pos += n;
        return s;
    }

    private static void Ensure(ref byte[] buffer, int position, int extra)
    {
        if (position + extra > buffer.Length)
        {
            Array.Resize(ref buffer, Math.Max(position + extra, buffer.Length * 2));
        }
    }
}
