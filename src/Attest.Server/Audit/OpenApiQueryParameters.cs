using Microsoft.OpenApi;

namespace Attest.Server.Audit;

/// <summary>The audit endpoints read their query strings strictly themselves (<see cref="AuditParameters"/>), so the
/// generator cannot see the parameters; this lists them in the served document as openapi.yaml does.</summary>
internal static class OpenApiQueryParameters
{
    public static RouteHandlerBuilder WithQueryParameters(this RouteHandlerBuilder builder, params (string Name, JsonSchemaType Type, bool Required, string Description)[] parameters) =>
        builder.AddOpenApiOperationTransformer((operation, _, _) =>
        {
            operation.Parameters ??= [];
            foreach (var (name, type, required, description) in parameters)
                operation.Parameters.Add(new OpenApiParameter
                {
                    Name = name,
                    In = ParameterLocation.Query,
                    Required = required,
                    Description = description,
                    Schema = new OpenApiSchema { Type = type },
                });
            return Task.CompletedTask;
        });
}
