// Reading a Server-Sent Events stream (the console's /live/decisions) in tests.

/** The next event of the stream, skipping comment lines (heartbeats); throws when it ends. */
export async function nextEvent(reader: ReadableStreamDefaultReader<Uint8Array>, buffer: { text: string }): Promise<string> {
  const decoder = new TextDecoder();
  for (;;) {
    const end = buffer.text.indexOf('\n\n');
    if (end >= 0) {
      const event = buffer.text.slice(0, end);
      buffer.text = buffer.text.slice(end + 2);
      if (!event.startsWith(':')) return event;
      continue;
    }
    const { value, done } = await reader.read();
    if (done) throw new Error('stream ended');
    buffer.text += decoder.decode(value, { stream: true });
  }
}

/** The JSON data of a `decision` event. */
export function eventData<T>(event: string): T {
  const data = event.split('\n').find((line) => line.startsWith('data: '));
  if (!data) throw new Error(`no data line in ${JSON.stringify(event)}`);
  return JSON.parse(data.slice('data: '.length)) as T;
}
