// A small web client written against the generated types (tests/tests/contract_typescript.rs
// generates `schema.d.ts` from the service's OpenAPI document and runs `tsc --noEmit`).
// It must type-check, and each `@ts-expect-error` below must still be an error: the
// document forbids what the server refuses.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

type Card = components["schemas"]["ListingCard"];
type Listing = components["schemas"]["ListingDto"];
type Problem = components["schemas"]["Problem"];

const PASSWORD = "a long enough passphrase";

function fail(p: Problem | undefined): never {
  throw new Error(p ? `${p.status} ${p.type}: ${p.detail}` : "no body");
}

export async function landlordJourney(base: string): Promise<Card[]> {
  const api = createClient<paths>({ baseUrl: `${base}/api/v1`, credentials: "include" });

  const registered = await api.POST("/auth/register", {
    body: { email: "ada@example.ac.uk", password: PASSWORD, display_name: "Ada", role: "landlord" },
  });
  if (registered.error) fail(registered.error);

  const signedIn = await api.POST("/auth/login", { body: { email: "ada@example.ac.uk", password: PASSWORD } });
  if (!signedIn.data) fail(signedIn.error);
  const csrf: string = signedIn.data.csrf_token;
  const role: "student" | "landlord" | "agent" | "admin" = signedIn.data.user.role;

  // After a reload the token comes back from /me.
  const me = await api.GET("/me");
  if (me.data) {
    const again: string = me.data.csrf_token;
    console.log(again === csrf, role);
  }

  const created = await api.POST("/listings", {
    headers: { "X-CSRF-Token": csrf },
    body: {
      title: "Bright 5-bed near Hyde Park",
      city: "leeds",
      area: "Hyde Park",
      postcode: "LS6 1AB",
      property_type: "house",
      bedrooms: 5,
      rent_pppw_pence: 12500,
      available_from: "2027-07-01",
      features: ["wifi", "garden"],
      epc_rating: "C",
      tenancy_type: "periodic",
      hmo_licence: null,
    },
  });
  if (!created.data) fail(created.error);
  const draft: Listing = created.data;
  const title: string | null = draft.title;
  const photos: number = draft.photos.length;
  console.log(title, photos, draft.address_line ?? "(not shown)");

  const changed = await api.PATCH("/listings/{id}", {
    params: { path: { id: draft.id } },
    headers: { "X-CSRF-Token": csrf },
    body: { deposit_pence: 50000, hmo_licence: null },
  });
  if (changed.error) fail(changed.error);

  const found = await api.GET("/listings", {
    params: { query: { city: "leeds", features: ["wifi"], sort: "rent_asc", page_size: 20, bills_included: true } },
  });
  if (!found.data) fail(found.error);
  const next: string | null = found.data.next_cursor;
  const total: number = found.data.total_estimate;
  console.log(next, total);
  for (const card of found.data.items) {
    const rent: number = card.rent_pppw_pence;
    const from: string = card.available_from;
    const cover = card.cover_photo?.url;
    console.log(rent, from, cover, card.excerpt);
  }
  return found.data.items;
}

// What the document refuses, the types refuse.
export async function refusals(base: string): Promise<void> {
  const api = createClient<paths>({ baseUrl: base });
  await api.POST("/auth/register", {
    // @ts-expect-error admins are not self-service
    body: { email: "x@example.com", password: PASSWORD, display_name: "X", role: "admin" },
  });
  // @ts-expect-error unknown fields are refused (additionalProperties: false)
  const extra: components["schemas"]["ListingInput"] = { title: "Bright room", colour: "blue" };
  // @ts-expect-error dates are strings (format: date)
  const when: components["schemas"]["ListingInput"] = { available_from: new Date() };
  console.log(extra, when);
  // @ts-expect-error "castle" is not a property type
  await api.GET("/listings", { params: { query: { property_type: "castle" } } });
  const page = await api.GET("/listings");
  if (page.data) {
    // @ts-expect-error the last page's cursor is null
    const cursor: string = page.data.next_cursor;
    // @ts-expect-error cards carry no description
    const description: string = page.data.items[0].description;
    console.log(cursor, description);
  }
}
