using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Herald.Http;

/// <summary>The OpenAPI document says how to authenticate: a bearer API key on every operation, except the public ones
/// (the health check and the providers' callbacks, which carry their own signatures), so client generators and the
/// Scalar reference send the key where it is needed.</summary>
public static class ApiReference
{
    private const string SchemeId = "apiKey";

    public static void Describe(OpenApiOptions o)
    {
        o.AddDocumentTransformer((document, _, _) =>
        {
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[SchemeId] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "A Herald API key (herald keys create): 'Authorization: Bearer KEY', or the header 'X-Api-Key: KEY'.",
            };
            document.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeId, document)] = [] }];
            return Task.CompletedTask;
        });
        o.AddOperationTransformer((operation, context, _) =>
        {
            // An empty list overrides the document's requirement: this operation needs no key.
            if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any())
                operation.Security = [];
            return Task.CompletedTask;
        });
    }
}
