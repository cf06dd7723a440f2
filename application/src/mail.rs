//! The e-mails the service sends, each a subject with a plain-text and an HTML body
//! (askama templates in `application/templates/mail/`, checked at compile time; the HTML
//! ones escape every value, the text ones are plain). Links are absolute, under the
//! site's public URL. Templates see the message as `m`.

use askama::Template;
use domain::Email;

use crate::ports::MailMessage;

/// Renders one e-mail from its text and HTML templates.
macro_rules! mail {
    ($data:ident, $text:ident = $text_path:literal, $html:ident = $html_path:literal, subject: $subject:expr) => {
        #[derive(Template)]
        #[template(path = $text_path)]
        struct $text<'a> {
            m: &'a $data<'a>,
        }

        #[derive(Template)]
        #[template(path = $html_path)]
        struct $html<'a> {
            m: &'a $data<'a>,
        }

        impl $data<'_> {
            /// The message to `to`.
            pub fn render(&self, to: &Email) -> Result<MailMessage, askama::Error> {
                Ok(MailMessage {
                    to: to.clone(),
                    subject: ($subject)(self),
                    text: $text { m: self }.render()?,
                    html: $html { m: self }.render()?,
                })
            }
        }
    };
}

/// To an owner: a student's new enquiry about one of their listings.
pub struct EnquiryToOwner<'a> {
    pub owner_name: &'a str,
    pub student_name: &'a str,
    pub listing_title: &'a str,
    pub message: &'a str,
    /// As `Wed 1 July 2027`.
    pub viewing_dates: Vec<String>,
    pub reply_url: &'a str,
}

mail!(
    EnquiryToOwner,
    EnquiryToOwnerText = "mail/enquiry_owner.txt",
    EnquiryToOwnerHtml = "mail/enquiry_owner.html",
    subject: |m: &EnquiryToOwner| format!("New enquiry about {}", m.listing_title)
);

/// To a new account: confirm the e-mail address.
pub struct VerifyEmail<'a> {
    pub name: &'a str,
    pub link: &'a str,
    pub valid_hours: u32,
}

mail!(
    VerifyEmail,
    VerifyEmailText = "mail/verify_email.txt",
    VerifyEmailHtml = "mail/verify_email.html",
    subject: |_: &VerifyEmail| "Confirm your e-mail address".to_owned()
);

/// To an account holder who asked to reset their password.
pub struct ResetPassword<'a> {
    pub name: &'a str,
    pub link: &'a str,
    pub valid_minutes: u32,
}

mail!(
    ResetPassword,
    ResetPasswordText = "mail/reset_password.txt",
    ResetPasswordHtml = "mail/reset_password.html",
    subject: |_: &ResetPassword| "Reset your Student Palace password".to_owned()
);

#[cfg(test)]
mod tests {
    use super::*;

    fn to() -> Email {
        Email::parse("owner@example.com").unwrap()
    }

    #[test]
    fn the_enquiry_mail_has_both_bodies_and_escapes_html() {
        let m = EnquiryToOwner {
            owner_name: "Sam",
            student_name: "Alex <script>",
            listing_title: "5-bed & garden",
            message: "Is it free?\n<b>Thanks</b>",
            viewing_dates: vec!["Wed 1 July 2027".into(), "Thu 2 July 2027".into()],
            reply_url: "https://student-palace.co.uk/me/enquiries",
        }
        .render(&to())
        .unwrap();
        assert_eq!(m.subject, "New enquiry about 5-bed & garden");
        assert!(m.text.contains("Alex <script> has sent an enquiry about \"5-bed & garden\""), "{}", m.text);
        assert!(m.text.contains("Is it free?\n<b>Thanks</b>"), "text is plain");
        assert!(m.text.contains("Preferred viewing dates: Wed 1 July 2027, Thu 2 July 2027"));
        assert!(m.text.contains("Read and reply: https://student-palace.co.uk/me/enquiries"));
        assert!(m.html.contains("Alex &#60;script&#62;") || m.html.contains("Alex &lt;script&gt;"), "{}", m.html);
        assert!(!m.html.contains("<script>") && !m.html.contains("<b>Thanks"), "HTML escapes every value");
        assert!(m.html.contains("href=\"https://student-palace.co.uk/me/enquiries\""));
        assert!(m.html.starts_with("<!DOCTYPE html>"));
    }

    #[test]
    fn no_viewing_dates_no_line() {
        let m = EnquiryToOwner {
            owner_name: "Sam",
            student_name: "Alex",
            listing_title: "Flat",
            message: "Hi",
            viewing_dates: vec![],
            reply_url: "https://x/",
        }
        .render(&to())
        .unwrap();
        assert!(!m.text.contains("viewing") && !m.html.contains("viewing"));
    }

    #[test]
    fn account_mails_carry_their_links() {
        let v = VerifyEmail { name: "Alex", link: "https://x/verify?t=abc", valid_hours: 48 }.render(&to()).unwrap();
        assert!(v.text.contains("https://x/verify?t=abc") && v.text.contains("48 hours"));
        assert!(v.html.contains("href=\"https://x/verify?t=abc\""));
        let r = ResetPassword { name: "Alex", link: "https://x/reset?t=def", valid_minutes: 30 }.render(&to()).unwrap();
        assert_eq!(r.subject, "Reset your Student Palace password");
        assert!(r.text.contains("30 minutes") && r.html.contains("https://x/reset?t=def"));
    }
}
