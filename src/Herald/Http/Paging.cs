namespace Herald.Http;

/// <summary>A problem with one field.</summary>
public sealed record FieldProblem(string Field, string Message);

/// <summary>One page of a list.</summary>
public sealed record PagedList<T>(int Page, int PageSize, long Total, IReadOnlyList<T> Items);
