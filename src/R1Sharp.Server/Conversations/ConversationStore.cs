using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace R1Sharp.Server.Conversations;

/// <summary>
/// Conversations and messages in one SQLite file (<c>conversations.db</c> under the data folder). Every write is one
/// transaction in WAL mode with synchronous=FULL, so a crash or power loss keeps every committed write: the web app
/// commits the user's message before generating and the answer when it ends, so at most the answer being generated
/// is lost. Thread-safe: each call opens its own (pooled) connection.
/// </summary>
internal sealed class ConversationStore
{
    public const int MaxTitleLength = 200;
    public const int MaxTextLength = 4 * 1024 * 1024;   // per message field, characters
    private static readonly string[] Roles = ["system", "user", "assistant"];
    private readonly string _connectionString;

    private readonly object _initLock = new();
    private volatile bool _initialized;

    /// <summary>The database is created on first use, so a server whose chat app is never used writes nothing.</summary>
    public ConversationStore(string dataDir)
    {
        DataDir = dataDir;
        DatabasePath = Path.Combine(dataDir, "conversations.db");
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string DataDir { get; }

    private void EnsureCreated()
    {
        lock (_initLock)
        {
            if (_initialized) return;
            Directory.CreateDirectory(DataDir);
            using var c = new SqliteConnection(_connectionString);
            c.Open();
            Exec(c, null, "PRAGMA journal_mode=WAL;");
            Exec(c, null, """
                CREATE TABLE IF NOT EXISTS conversations (
                    id TEXT PRIMARY KEY,
                    title TEXT NOT NULL,
                    settings TEXT,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS messages (
                    id TEXT PRIMARY KEY,
                    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
                    seq INTEGER NOT NULL,
                    role TEXT NOT NULL,
                    content TEXT NOT NULL,
                    reasoning TEXT,
                    meta TEXT,
                    created_at INTEGER NOT NULL,
                    updated_at INTEGER NOT NULL);
                CREATE INDEX IF NOT EXISTS messages_by_conversation ON messages(conversation_id, seq);
                """);
            _initialized = true;
        }
    }

    /// <summary>~/.local/share/r1sharp on Linux (XDG_DATA_HOME when set), the local application data folder elsewhere.</summary>
    public static string DefaultDataDir
    {
        get
        {
            var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
            var root = !string.IsNullOrEmpty(xdg) ? xdg : Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
            if (string.IsNullOrEmpty(root)) root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
            return Path.Combine(root, "r1sharp");
        }
    }

    public string DatabasePath { get; }

    /// <summary>Conversations, most recently updated first; <paramref name="query"/> filters by title or message text.</summary>
    public IReadOnlyList<ConversationSummary> List(string? query = null, int limit = 500)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        if (string.IsNullOrWhiteSpace(query))
            cmd.CommandText = "SELECT id, title, created_at, updated_at FROM conversations ORDER BY updated_at DESC, rowid DESC LIMIT $limit";
        else
        {
            cmd.CommandText = """
                SELECT id, title, created_at, updated_at FROM conversations c
                WHERE c.title LIKE $q ESCAPE '\' OR EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND m.content LIKE $q ESCAPE '\')
                ORDER BY updated_at DESC, rowid DESC LIMIT $limit
                """;
            cmd.Parameters.AddWithValue("$q", "%" + EscapeLike(query.Trim()) + "%");
        }
        cmd.Parameters.AddWithValue("$limit", limit);
        var list = new List<ConversationSummary>();
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(new ConversationSummary(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3)));
        return list;
    }

    public Conversation? Get(string id)
    {
        using var c = Open();
        return Read(c, null, id);
    }

    public Conversation Create(string? title, JsonElement? settings)
    {
        var now = Now();
        var id = NewId();
        using var c = Open();
        using var tx = c.BeginTransaction();
        Exec(c, tx, "INSERT INTO conversations (id, title, settings, created_at, updated_at) VALUES ($id, $title, $settings, $now, $now)",
            ("$id", id), ("$title", CleanTitle(title)), ("$settings", Json(settings, "settings")), ("$now", now));
        tx.Commit();
        return new Conversation(id, CleanTitle(title), now, now, Clone(settings), []);
    }

    /// <summary>Renames and/or replaces the settings; null when the conversation does not exist.</summary>
    public Conversation? Update(string id, ConversationPatch patch)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        var n = Exec(c, tx, """
            UPDATE conversations SET
                title = CASE WHEN $title IS NULL THEN title ELSE $title END,
                settings = CASE WHEN $hasSettings THEN $settings ELSE settings END,
                updated_at = $now
            WHERE id = $id
            """,
            ("$id", id), ("$title", patch.Title is null ? null : CleanTitle(patch.Title)),
            ("$hasSettings", patch.Settings is not null), ("$settings", Json(patch.Settings, "settings")), ("$now", Now()));
        if (n == 0) return null;
        var result = Read(c, tx, id);
        tx.Commit();
        return result;
    }

    public bool Delete(string id)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        Exec(c, tx, "DELETE FROM messages WHERE conversation_id = $id", ("$id", id));
        var n = Exec(c, tx, "DELETE FROM conversations WHERE id = $id", ("$id", id));
        tx.Commit();
        return n > 0;
    }

    /// <summary>Appends a message at the end; null when the conversation does not exist.</summary>
    public StoredMessage? Append(string conversationId, MessagePatch message)
    {
        var role = CheckRole(message.Role);
        var content = CheckText(message.Content ?? throw new ConversationStoreException("'content' is required", "content"), "content");
        var reasoning = message.Reasoning is null ? null : CheckText(message.Reasoning, "reasoning");
        var now = Now();
        var id = NewId();
        using var c = Open();
        using var tx = c.BeginTransaction();
        if (!Touch(c, tx, conversationId, now)) return null;
        Exec(c, tx, """
            INSERT INTO messages (id, conversation_id, seq, role, content, reasoning, meta, created_at, updated_at)
            VALUES ($id, $cid, (SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE conversation_id = $cid), $role, $content, $reasoning, $meta, $now, $now)
            """,
            ("$id", id), ("$cid", conversationId), ("$role", role), ("$content", content), ("$reasoning", reasoning),
            ("$meta", Json(message.Meta, "meta")), ("$now", now));
        tx.Commit();
        return new StoredMessage(id, role, content, reasoning, Clone(message.Meta), now, now);
    }

    /// <summary>Changes a message's text, reasoning or meta (e.g. the answer as it grows); null when not found.</summary>
    public StoredMessage? UpdateMessage(string conversationId, string messageId, MessagePatch patch)
    {
        if (patch.Role is not null) CheckRole(patch.Role);
        if (patch.Content is not null) CheckText(patch.Content, "content");
        if (patch.Reasoning is not null) CheckText(patch.Reasoning, "reasoning");
        var now = Now();
        using var c = Open();
        using var tx = c.BeginTransaction();
        var n = Exec(c, tx, """
            UPDATE messages SET
                role = COALESCE($role, role), content = COALESCE($content, content), reasoning = COALESCE($reasoning, reasoning),
                meta = CASE WHEN $hasMeta THEN $meta ELSE meta END, updated_at = $now
            WHERE id = $mid AND conversation_id = $cid
            """,
            ("$role", patch.Role), ("$content", patch.Content), ("$reasoning", patch.Reasoning), ("$hasMeta", patch.Meta is not null),
            ("$meta", Json(patch.Meta, "meta")), ("$now", now), ("$mid", messageId), ("$cid", conversationId));
        if (n == 0) return null;
        Touch(c, tx, conversationId, now);
        var m = ReadMessages(c, tx, conversationId).First(x => x.Id == messageId);
        tx.Commit();
        return m;
    }

    /// <summary>Deletes a message and, when <paramref name="andFollowing"/>, every later one (regenerate, edit). Number deleted.</summary>
    public int DeleteMessage(string conversationId, string messageId, bool andFollowing)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        var n = Exec(c, tx, andFollowing
                ? "DELETE FROM messages WHERE conversation_id = $cid AND seq >= (SELECT seq FROM messages WHERE id = $mid AND conversation_id = $cid)"
                : "DELETE FROM messages WHERE conversation_id = $cid AND id = $mid",
            ("$cid", conversationId), ("$mid", messageId));
        if (n > 0) Touch(c, tx, conversationId, Now());
        tx.Commit();
        return n;
    }

    /// <summary>The given conversations (all when <paramref name="ids"/> is null) as one export document.</summary>
    public ConversationExport Export(IReadOnlyCollection<string>? ids = null)
    {
        using var c = Open();
        var all = ids ?? List(limit: int.MaxValue).Select(s => s.Id).ToList();
        var list = new List<Conversation>();
        foreach (var id in all)
            if (Read(c, null, id) is { } conv) list.Add(conv);
        return new ConversationExport(ConversationExport.FormatName, Now(), list);
    }

    /// <summary>
    /// Imports an export document in ONE transaction (all or nothing). Each conversation gets fresh ids, so importing
    /// the same file twice gives two copies and never overwrites. Returns the new summaries.
    /// </summary>
    public IReadOnlyList<ConversationSummary> Import(ConversationExport document)
    {
        if (document.Format != ConversationExport.FormatName)
            throw new ConversationStoreException($"unknown export format '{document.Format}' (expected '{ConversationExport.FormatName}')", "format");
        if (document.Conversations is null) throw new ConversationStoreException("'conversations' is required", "conversations");
        var result = new List<ConversationSummary>();
        using var c = Open();
        using var tx = c.BeginTransaction();
        foreach (var conv in document.Conversations)
        {
            if (conv is null) throw new ConversationStoreException("null conversation in import", "conversations");
            var id = NewId();
            var now = Now();
            var created = conv.CreatedAt > 0 ? conv.CreatedAt : now;
            var updated = conv.UpdatedAt > 0 ? conv.UpdatedAt : now;
            Exec(c, tx, "INSERT INTO conversations (id, title, settings, created_at, updated_at) VALUES ($id, $title, $settings, $created, $updated)",
                ("$id", id), ("$title", CleanTitle(conv.Title)), ("$settings", Json(conv.Settings, "settings")), ("$created", created), ("$updated", updated));
            var seq = 0;
            foreach (var m in conv.Messages ?? [])
            {
                if (m is null) throw new ConversationStoreException("null message in import", "conversations");
                Exec(c, tx, """
                    INSERT INTO messages (id, conversation_id, seq, role, content, reasoning, meta, created_at, updated_at)
                    VALUES ($id, $cid, $seq, $role, $content, $reasoning, $meta, $created, $updated)
                    """,
                    ("$id", NewId()), ("$cid", id), ("$seq", ++seq), ("$role", CheckRole(m.Role)),
                    ("$content", CheckText(m.Content ?? "", "content")), ("$reasoning", m.Reasoning is null ? null : CheckText(m.Reasoning, "reasoning")),
                    ("$meta", Json(m.Meta, "meta")), ("$created", m.CreatedAt > 0 ? m.CreatedAt : created), ("$updated", m.UpdatedAt > 0 ? m.UpdatedAt : updated));
            }
            result.Add(new ConversationSummary(id, CleanTitle(conv.Title), created, updated));
        }
        tx.Commit();
        return result;
    }

    private SqliteConnection Open()
    {
        if (!_initialized) EnsureCreated();
        var c = new SqliteConnection(_connectionString);
        c.Open();
        // Per connection: durability on every commit, foreign keys, and waiting (not failing) on a concurrent writer.
        Exec(c, null, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;");
        return c;
    }

    private static Conversation? Read(SqliteConnection c, SqliteTransaction? tx, string id)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT id, title, settings, created_at, updated_at FROM conversations WHERE id = $id";
        cmd.Parameters.AddWithValue("$id", id);
        using var r = cmd.ExecuteReader();
        if (!r.Read()) return null;
        var conv = new Conversation(r.GetString(0), r.GetString(1), r.GetInt64(3), r.GetInt64(4), ParseJson(r, 2), []);
        return conv with { Messages = ReadMessages(c, tx, id) };
    }

    private static List<StoredMessage> ReadMessages(SqliteConnection c, SqliteTransaction? tx, string conversationId)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT id, role, content, reasoning, meta, created_at, updated_at FROM messages WHERE conversation_id = $cid ORDER BY seq";
        cmd.Parameters.AddWithValue("$cid", conversationId);
        using var r = cmd.ExecuteReader();
        var list = new List<StoredMessage>();
        while (r.Read())
            list.Add(new StoredMessage(r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                ParseJson(r, 4), r.GetInt64(5), r.GetInt64(6)));
        return list;
    }

    private static bool Touch(SqliteConnection c, SqliteTransaction tx, string conversationId, long now) =>
        Exec(c, tx, "UPDATE conversations SET updated_at = $now WHERE id = $id", ("$id", conversationId), ("$now", now)) > 0;

    private static int Exec(SqliteConnection c, SqliteTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        return cmd.ExecuteNonQuery();
    }

    private static JsonElement? ParseJson(SqliteDataReader r, int column)
    {
        if (r.IsDBNull(column)) return null;
        using var doc = JsonDocument.Parse(r.GetString(column));
        return doc.RootElement.Clone();
    }

    private static string? Json(JsonElement? e, string field)
    {
        if (e is not { } v || v.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined) return null;
        if (v.ValueKind != JsonValueKind.Object) throw new ConversationStoreException($"'{field}' must be a JSON object", field);
        var text = v.GetRawText();
        if (text.Length > 64 * 1024) throw new ConversationStoreException($"'{field}' is too large (64 KiB at most)", field);
        return text;
    }

    private static JsonElement? Clone(JsonElement? e) =>
        e is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } v ? v.Clone() : null;

    private static string CleanTitle(string? title)
    {
        var t = (title ?? "").ReplaceLineEndings(" ").Trim();
        if (t.Length == 0) t = "New chat";
        return t.Length > MaxTitleLength ? t[..MaxTitleLength] : t;
    }

    private static string CheckRole(string? role) =>
        role is not null && Roles.Contains(role) ? role : throw new ConversationStoreException("'role' must be one of system, user, assistant", "role");

    private static string CheckText(string text, string field) =>
        text.Length <= MaxTextLength ? text : throw new ConversationStoreException($"'{field}' is too long ({MaxTextLength} characters at most)", field);

    private static string EscapeLike(string s) => s.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_");

    private static string NewId() => Guid.CreateVersion7().ToString("N");

    private static long s_lastNow;

    /// <summary>Milliseconds since the epoch, strictly increasing within the process, so "most recent first" is
    /// well defined even for two writes in the same millisecond.</summary>
    private static long Now()
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        while (true)
        {
            long last = Interlocked.Read(ref s_lastNow);
            long next = Math.Max(now, last + 1);
            if (Interlocked.CompareExchange(ref s_lastNow, next, last) == last) return next;
        }
    }
}
