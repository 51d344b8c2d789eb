import { definePlugin, defineTool, type HermesPlugin, type ToolContext, z } from "../../sdk/index.ts";

export interface NotesOptions {
  /** Notes one session may hold. @default 100 */
  maxNotes?: number;
  /** Characters in one note. @default 2_000 */
  maxLength?: number;
}

/** One saved note. */
export interface Note {
  id: number;
  text: string;
  /** ISO 8601. */
  created_at: string;
}

interface NoteBook {
  nextId: number;
  notes: Note[];
}

/**
 * `tool-notes`: a notepad the model keeps per conversation session, in the plugin's own storage
 * namespace (so it lives in memory, on disk or in Redis with the rest of the proxy's state).
 *
 * @example
 * import notes from "hermes-proxy/plugins/tool-notes";
 * export default defineConfig({ plugins: [notes({ maxNotes: 50 })] });
 */
export default function notes(options: NotesOptions = {}): HermesPlugin {
  const maxNotes = options.maxNotes ?? 100;
  const maxLength = options.maxLength ?? 2_000;
  // Calls of one session are serialised here: two parallel saves must not read the same old book.
  const queues = new Map<string, Promise<unknown>>();

  const withBook = <T>(context: ToolContext, change: (book: NoteBook) => T): Promise<T> => {
    const key = bookKey(context);
    const run = (queues.get(key) ?? Promise.resolve()).then(async () => {
      const book = (await context.storage.getItem<NoteBook>(key)) ?? { nextId: 1, notes: [] };
      const result = change(book);
      await context.storage.setItem(key, book);
      return result;
    });
    const settled = run.catch(() => {});
    queues.set(key, settled);
    const forget = () => {
      if (queues.get(key) === settled) queues.delete(key);
    };
    settled.then(forget, forget);
    return run;
  };

  const saveNote = defineTool({
    name: "save_note",
    description: "Saves a note for later in this conversation (facts, decisions, to-dos). Returns the note with its id.",
    parameters: z.object({ text: z.string().min(1).max(maxLength).describe("What to remember") }),
    emoji: "📝",
    label: () => "Saving a note",
    execute: ({ text }, context) =>
      withBook(context, (book) => {
        if (book.notes.length >= maxNotes) throw new Error(`This session already holds ${maxNotes} notes; delete some first`);
        const note: Note = { id: book.nextId++, text, created_at: new Date().toISOString() };
        book.notes.push(note);
        return note;
      }),
  });

  const listNotes = defineTool({
    name: "list_notes",
    description: "Lists the notes saved in this conversation, oldest first.",
    emoji: "📒",
    label: () => "Reading notes",
    execute: async (_args, context) => {
      const book = await context.storage.getItem<NoteBook>(bookKey(context));
      return { notes: book?.notes ?? [] };
    },
  });

  const deleteNote = defineTool({
    name: "delete_note",
    description: "Deletes one saved note by its id.",
    parameters: z.object({ id: z.number().int().positive().describe("The note's id, from save_note or list_notes") }),
    emoji: "🗑️",
    label: ({ id }) => `Deleting note ${id}`,
    execute: ({ id }, context) =>
      withBook(context, (book) => {
        const index = book.notes.findIndex((note) => note.id === id);
        if (index === -1) throw new Error(`There is no note ${id}`);
        book.notes.splice(index, 1);
        return { deleted: id };
      }),
  });

  return definePlugin({ name: "tool-notes", tools: [saveNote, listNotes, deleteNote] });
}

/** One key per session, its id encoded so that `:` or `/` in it cannot make a nested key. */
function bookKey(context: ToolContext): string {
  if (!context.sessionId) throw new Error("Notes are kept per session, and this request has none");
  return `sessions:${encodeURIComponent(context.sessionId).replaceAll(".", "%2E")}`;
}
