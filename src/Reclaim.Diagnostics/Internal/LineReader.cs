using System.Runtime.InteropServices;

namespace Reclaim.Diagnostics.Internal;

/// <summary>What <see cref="LineReader.ReadLineAsync"/> found.</summary>
internal enum LineStatus
{
    /// <summary>A whole line (without its <c>\n</c>).</summary>
    Line,

    /// <summary>A line longer than the limit: the rest of the stream is not read.</summary>
    TooLong,

    /// <summary>The stream ended between lines.</summary>
    End,

    /// <summary>The stream ended in the middle of a line (the peer went away mid-request).</summary>
    Truncated,
}

/// <summary>A line and its status; the line's memory is valid until the next read.</summary>
[StructLayout(LayoutKind.Auto)]
internal readonly record struct LineRead(LineStatus Status, ReadOnlyMemory<byte> Line);

/// <summary>
/// Reads <c>\n</c>-ended lines of at most a given length from a stream, with one buffer that grows up to that length:
/// a peer cannot make it hold more, however long its line.
/// </summary>
internal sealed class LineReader(Stream stream, int maxLineBytes)
{
    private byte[] _buffer = new byte[Math.Min(4096, maxLineBytes + 1)];
    private int _start;    // the first byte not yet returned
    private int _end;      // the end of the bytes read
    private int _searched; // bytes after _start already known to hold no '\n'

    /// <summary>The next line.</summary>
    public async ValueTask<LineRead> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int newline = _buffer.AsSpan(_start + _searched, _end - _start - _searched).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                int length = _searched + newline;
                var line = new ReadOnlyMemory<byte>(_buffer, _start, length);
                _start += length + 1;
                _searched = 0;
                if (_start == _end)
                {
                    // Nothing pending: start the next read at the front (the line's bytes stay until then).
                    _start = _end = 0;
                }

                return length > maxLineBytes ? new LineRead(LineStatus.TooLong, default) : new LineRead(LineStatus.Line, line);
            }

            _searched = _end - _start;
            if (_searched > maxLineBytes)
            {
                return new LineRead(LineStatus.TooLong, default);
            }

            MakeRoom();
            int read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return new LineRead(_end > _start ? LineStatus.Truncated : LineStatus.End, default);
            }

            _end += read;
        }
    }

    /// <summary>Moves the pending bytes to the front, or grows the buffer (at most to the limit and its <c>\n</c>).</summary>
    private void MakeRoom()
    {
        if (_end < _buffer.Length)
        {
            return;
        }

        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
            return;
        }

        int size = (int)Math.Min((long)maxLineBytes + 1, _buffer.Length * 2L);
        Array.Resize(ref _buffer, size);
    }
}
